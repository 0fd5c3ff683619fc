"""Writing and reading the collected logs and GenAI metrics (tables in schema/telemetry.py)."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlite_utils import Database

from workbench.core.telemetrymodels import LogRecord, MetricSummary
from workbench.store.schema.telemetry import LOG_COLUMNS, METRIC_COLUMNS

_INSERT_LOGS = (
    f"INSERT INTO logs ({', '.join(LOG_COLUMNS)}) VALUES ({', '.join('?' for _ in LOG_COLUMNS)})"
)
# A cumulative point re-exported unchanged (a flush, then shutdown) replaces itself.
_INSERT_METRICS = (
    f"INSERT OR REPLACE INTO metric_points ({', '.join(METRIC_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in METRIC_COLUMNS)})"
)
LOGS, METRICS = "logs", "metrics"


def write_telemetry(db: Database, items: list[tuple[str, tuple]]) -> None:
    """Insert ``(table, row)`` items; the ``BatchWriter`` wraps a batch in one transaction."""
    logs = [row for table, row in items if table == LOGS]
    metrics = [row for table, row in items if table == METRICS]
    if logs:
        db.conn.executemany(_INSERT_LOGS, logs)
    if metrics:
        db.conn.executemany(_INSERT_METRICS, metrics)


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db.conn if isinstance(db, Database) else db


_LOG_SELECT = (
    "SELECT trace_id, span_id, time_ns, severity_number, severity_text, event_name, body, "
    "attributes, service, scope FROM logs"
)


def trace_logs(db: Database | sqlite3.Connection, trace_id: str) -> list[LogRecord]:
    """The log records of one trace (full id), oldest first."""
    sql = f"{_LOG_SELECT} WHERE trace_id = ? ORDER BY time_ns, id"
    return _records(_conn(db).execute(sql, (trace_id,)))


def span_logs(db: Database | sqlite3.Connection, trace_id: str, span_id: str) -> list[LogRecord]:
    """The log records emitted inside one span, oldest first."""
    sql = f"{_LOG_SELECT} WHERE trace_id = ? AND span_id = ? ORDER BY time_ns, id"
    return _records(_conn(db).execute(sql, (trace_id, span_id)))


def _records(rows) -> list[LogRecord]:
    return [
        LogRecord(
            trace_id=row[0],
            span_id=row[1],
            time_ns=row[2],
            severity_number=row[3],
            severity_text=row[4],
            event_name=row[5],
            body=orjson.loads(row[6]) if row[6] is not None else None,
            attributes=orjson.loads(row[7]),
            service=row[8],
            scope=row[9],
        )
        for row in rows
    ]


def logs_by_span(logs: list[LogRecord]) -> dict[str | None, list[LogRecord]]:
    """``logs`` grouped by span id (None: logged in the trace outside any span)."""
    grouped: dict[str | None, list[LogRecord]] = {}
    for record in logs:
        grouped.setdefault(record.span_id, []).append(record)
    return grouped


# Per series, the newest point of a cumulative series holds its totals; delta points add up.
_SUMMARY = """
WITH latest AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY series ORDER BY time_ns DESC) AS newest
    FROM metric_points WHERE kind IN ('histogram', 'exponential_histogram', 'summary', 'sum')
    {where}
)
SELECT name, MAX(unit), service, COALESCE(model, ''), COALESCE(operation, ''),
       COALESCE(token_type, ''),
       SUM(COALESCE(count, 0)), SUM(COALESCE(sum, value, 0)), MIN(min), MAX(max),
       MIN(start_ns), MAX(time_ns)
FROM latest
WHERE newest = 1 OR temporality = 'delta'
GROUP BY name, service, model, operation, token_type
ORDER BY name, service, model, operation, token_type
"""


def metric_summaries(
    db: Database | sqlite3.Connection,
    *,
    project: str | None = None,
    name: str | None = None,
    since_ns: int | None = None,
) -> list[MetricSummary]:
    """Totals of the stored GenAI metrics per name, project, model, operation and token type."""
    where: list[str] = []
    params: list[Any] = []
    if project:
        where.append("service = ?")
        params.append(project)
    if name:
        where.append("name = ?")
        params.append(name)
    if since_ns is not None:
        where.append("time_ns >= ?")
        params.append(since_ns)
    sql = _SUMMARY.format(where=("AND " + " AND ".join(where)) if where else "")
    return [
        MetricSummary(
            name=row[0],
            unit=row[1],
            project=row[2],
            model=row[3] or None,
            operation=row[4] or None,
            token_type=row[5] or None,
            count=row[6],
            total=row[7],
            min=row[8],
            max=row[9],
            start_ns=row[10],
            end_ns=row[11],
        )
        for row in _conn(db).execute(sql, params)
    ]

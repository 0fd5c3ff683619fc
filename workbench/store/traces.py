"""Reading collected traces: newest-first pages, one trace with its spans, live updates, spend."""

from __future__ import annotations

import gc
import heapq
import itertools
import re
import sqlite3
from typing import Any

import orjson
from pydantic import BaseModel
from sqlite_utils import Database

from workbench.core.tracemodels import SpanRecord, SpendGroup, SpendRow, TraceDetail, TraceSummary
from workbench.errors import WorkbenchError
from workbench.store.summaries import current_summaries, newest_page, one_summary

_SUMMARY_COLUMNS = (
    "trace_id, service, name, start_ns, end_ns, duration_ms, status, input_tokens, "
    "output_tokens, cost_usd, span_count, session_id, variant, models, updated_ns"
)
_SPAN_COLUMNS = (
    "trace_id, span_id, parent_id, name, kind, service, model, provider, input_tokens, "
    "output_tokens, cached_tokens, cost_usd, status, status_message, start_ns, end_ns, "
    "duration_ms, session_id, variant, prompt_version, tool_name, attributes, resource, events"
)
_HEX = re.compile(r"^[0-9a-f]+$")
MIN_PREFIX = 8


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db.conn if isinstance(db, Database) else db


def _summary(row: tuple) -> TraceSummary:
    return TraceSummary(
        trace_id=row[0],
        project=row[1],
        name=row[2],
        start_ns=row[3],
        end_ns=row[4],
        duration_ms=row[5],
        status=row[6],
        input_tokens=row[7],
        output_tokens=row[8],
        cost_usd=row[9],
        span_count=row[10],
        session_id=row[11],
        variant=row[12],
        models=row[13].split(",") if row[13] else [],
        updated_ns=row[14],
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_traces(
    db: Database | sqlite3.Connection,
    *,
    project: str | None = None,
    status: str | None = None,
    model: str | None = None,
    search: str | None = None,
    variant: str | None = None,
    session: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    limit: int = 50,
    before: tuple[int, str] | None = None,
) -> list[TraceSummary]:
    """One page of traces, newest first; pass the last item's ``cursor`` as ``before`` for the next.

    ``model`` matches part of any model the trace used; ``search`` matches part
    of the root span's name or the project, or a trace id prefix; ``variant`` and
    ``session`` match exactly; ``since_ns``/``until_ns`` bound the start time
    (``until_ns`` excluded).
    """
    conn = _conn(db)
    filters = _filters(project, status)
    filters += _browse_filters(variant, session, since_ns, until_ns)
    model_sets = None
    if model:
        model_sets = [models for models in distinct_model_sets(conn) if model in models]
        if not model_sets:
            return []
    if search:
        needle = search.strip()
        lowered = needle.lower()
        if _HEX.match(lowered) and len(lowered) >= MIN_PREFIX:
            # An id prefix is answered from the primary key, whatever else it might match.
            by_id = _page(conn, [*filters, _id_prefix(lowered)], limit, before, model_sets)
            if by_id:
                return by_id
        filters.append(
            (
                "(name LIKE ? ESCAPE '\\' OR service LIKE ? ESCAPE '\\')",
                [_like(needle), _like(needle)],
            )
        )
    return _page(conn, filters, limit, before, model_sets)


Filter = tuple[str, list[Any]]
# Past this many matching model sets, one query with IN beats merging a page from each.
_MAX_MERGED_MODEL_SETS = 16


def _filters(project: str | None, status: str | None) -> list[Filter]:
    filters: list[Filter] = []
    if project:
        filters.append(("service = ?", [project]))
    if status:
        filters.append(("status = ?", [status]))
    return filters


def _browse_filters(
    variant: str | None, session: str | None, since_ns: int | None, until_ns: int | None
) -> list[Filter]:
    filters: list[Filter] = []
    if variant:
        filters.append(("variant = ?", [variant]))
    if session:
        filters.append(("session_id = ?", [session]))
    if since_ns is not None:
        filters.append(("start_ns >= ?", [since_ns]))
    if until_ns is not None:
        filters.append(("start_ns < ?", [until_ns]))
    return filters


def distinct_model_sets(db: Database | sqlite3.Connection) -> list[str]:
    """Every distinct ``models`` value (comma-separated model names) of the stored traces.

    A skip-scan over the ``traces_models_page`` index: one seek per distinct value.
    """
    sql = (
        "WITH RECURSIVE m(value) AS (SELECT MIN(models) FROM traces UNION ALL "
        "SELECT (SELECT MIN(models) FROM traces WHERE models > m.value) FROM m "
        "WHERE m.value IS NOT NULL) SELECT value FROM m WHERE value IS NOT NULL "
        "UNION SELECT models FROM pending_traces ORDER BY 1"
    )
    return [row[0] for row in _conn(db).execute(sql)]


def _id_prefix(prefix: str) -> Filter:
    return ("(trace_id >= ? AND trace_id < ?)", [prefix, prefix + "g"])


def _page(
    conn: sqlite3.Connection,
    filters: list[Filter],
    limit: int,
    before: tuple[int, str] | None,
    model_sets: list[str] | None = None,
) -> list[TraceSummary]:
    """The newest ``limit`` traces passing ``filters`` (and whose ``models`` is one of
    ``model_sets``, when given), found on a covering index."""
    if model_sets is not None and len(model_sets) <= _MAX_MERGED_MODEL_SETS:
        # Each model set is one newest-first range of its index; merge their first pages.
        pages = [
            _page(conn, [*filters, ("models = ?", [models])], limit, before)
            for models in model_sets
        ]
        newest = heapq.merge(*pages, key=lambda summary: summary.cursor, reverse=True)
        return list(itertools.islice(newest, limit))
    if model_sets is not None:
        marks = ", ".join("?" for _ in model_sets)
        filters = [*filters, (f"models IN ({marks})", list(model_sets))]
    if before is not None:
        filters = [*filters, ("(start_ns, trace_id) < (?, ?)", [before[0], before[1]])]
    where = " AND ".join(clause for clause, _ in filters) or "1"
    params = [value for _, values in filters for value in values]
    # Pending traces (summaries not yet refreshed after an export) are paged live beside.
    sql = newest_page(_SUMMARY_COLUMNS, where, "start_ns DESC, trace_id DESC")
    return [_summary(row) for row in conn.execute(sql, [*params, limit, *params, limit, limit])]


def resolve_trace_id(db: Database | sqlite3.Connection, trace_id: str) -> str | None:
    """The full id of the trace ``trace_id`` names (whole, or a unique prefix of 8+ hex digits)."""
    wanted = trace_id.strip().lower()
    if not _HEX.match(wanted) or len(wanted) < MIN_PREFIX or len(wanted) > 32:
        return None
    rows = (
        _conn(db)
        .execute(
            "SELECT trace_id FROM traces WHERE trace_id >= ?1 AND trace_id < ?2 UNION "
            "SELECT trace_id FROM trace_pending WHERE trace_id >= ?1 AND trace_id < ?2 LIMIT 2",
            (wanted, wanted + "g"),
        )
        .fetchall()
    )
    if len(rows) > 1:
        raise WorkbenchError(f"trace id prefix {trace_id!r} is ambiguous; give more digits")
    return rows[0][0] if rows else None


def get_trace(db: Database | sqlite3.Connection, trace_id: str) -> TraceDetail | None:
    """A trace with its spans ordered by start time, or None when there is no such trace."""
    full = resolve_trace_id(db, trace_id)
    if full is None:
        return None
    conn = _conn(db)
    row = conn.execute(one_summary(_SUMMARY_COLUMNS), (full,)).fetchone()
    if row is None:
        return None
    summary = _summary(row)
    rows = conn.execute(f"SELECT {_SPAN_COLUMNS} FROM spans WHERE trace_id = ?", (full,)).fetchall()
    # Sorting here is cheaper than letting SQLite sort rows that carry their JSON.
    rows.sort(key=lambda row: (row[14], row[1]))
    # Thousands of fresh dicts would trigger garbage collections that find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        spans = [_span(row) for row in rows]
    finally:
        if collecting:
            gc.enable()
    return TraceDetail.model_construct(**dict(summary), spans=spans)


_SPAN_FIELDS = frozenset(SpanRecord.model_fields)


def _trusted(cls: type[BaseModel], fields: frozenset[str], data: dict[str, Any]) -> Any:
    """A model built without validation: rows come from the collector's own writer.

    Even ``model_construct`` costs ~15 µs a span, which a 10,000-span trace cannot
    afford; this sets exactly what ``model_construct`` would (pydantic v2).
    """
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", data)
    object.__setattr__(model, "__pydantic_fields_set__", set(fields))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


_SPAN_NAMES = tuple(name.strip() for name in _SPAN_COLUMNS.split(","))[:21]


def _span(row: tuple) -> SpanRecord:
    data = dict(zip(_SPAN_NAMES, row, strict=False))
    data["attributes"] = orjson.loads(row[21])
    data["resource"] = orjson.loads(row[22])
    data["events"] = orjson.loads(row[23]) if row[23] else []
    return _trusted(SpanRecord, _SPAN_FIELDS, data)


def traces_since(
    db: Database | sqlite3.Connection,
    since_ns: int,
    *,
    project: str | None = None,
    limit: int = 500,
) -> list[TraceSummary]:
    """Traces written or changed after ``since_ns`` (compare ``updated_ns``), oldest change first.

    Poll with the largest ``updated_ns`` seen so far to get each change once.
    """
    where = "updated_ns > ?"
    params: list[Any] = [since_ns]
    if project:
        where += " AND service = ?"
        params.append(project)
    sql = newest_page(_SUMMARY_COLUMNS, where, "updated_ns")
    rows = _conn(db).execute(sql, [*params, limit, *params, limit, limit])
    return [_summary(row) for row in rows]


_TRACE_GROUPS = {
    "session": "session_id",
    "variant": "variant",
    "day": "strftime('%Y-%m-%d', start_ns / 1000000000, 'unixepoch')",
    "month": "strftime('%Y-%m', start_ns / 1000000000, 'unixepoch')",
}


def unpriced_calls(db: Database | sqlite3.Connection, trace_ids: list[str]) -> dict[str, int]:
    """Per trace, its model calls that used tokens but carry no cost (no price applied: a
    model served by a local server, say), so a list can say "unpriced" instead of $0."""
    if not trace_ids:
        return {}
    marks = ", ".join("?" for _ in trace_ids)
    rows = _conn(db).execute(
        f"SELECT trace_id, COUNT(*) FROM spans WHERE trace_id IN ({marks}) AND kind = 'llm' "
        "AND cost_usd IS NULL AND (COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)) > 0 "
        "GROUP BY trace_id",
        trace_ids,
    )
    return {trace_id: count for trace_id, count in rows}


# Spend per session, variant, day or month: the trace summaries, pending ones live.
_CURRENT_SPEND = current_summaries(
    "trace_id, service, start_ns, session_id, variant, input_tokens, output_tokens, "
    "cached_tokens, cost_usd"
)

# Where a model call's spend came from: real (money spent; a recording calls a real model),
# mock (simulated), replay (free) or probe (readiness checks, whatever answered them).
_SOURCE = (
    "CASE WHEN variant = 'readiness-probe' THEN 'probe' "
    "WHEN model_source IS NULL OR model_source = 'record' THEN 'real' ELSE model_source END"
)


def spend(
    db: Database | sqlite3.Connection,
    *,
    project: str | None = None,
    group_by: SpendGroup,
    since_ns: int | None = None,
) -> list[SpendRow]:
    """Tokens, cost and trace counts per session, variant, model, source, or UTC day or month.

    Per model and per source, only LLM spans count; the other groupings use the trace totals.
    """
    where: list[str] = []
    params: list[Any] = []
    if project:
        where.append("service = ?")
        params.append(project)
    if since_ns is not None:
        where.append("start_ns >= ?")
        params.append(since_ns)
    if group_by in ("model", "source"):
        where.append("kind = 'llm'")
        key = "model" if group_by == "model" else _SOURCE
        table, traces = "spans", "COUNT(DISTINCT trace_id)"
    elif group_by in _TRACE_GROUPS:
        table, key, traces = _CURRENT_SPEND, _TRACE_GROUPS[group_by], "COUNT(*)"
    else:
        raise ValueError(f"cannot group spend by {group_by!r}")
    sql = (
        f"SELECT {key} AS key, COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
        f"COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(cost_usd), 0.0), {traces} FROM {table}"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY key ORDER BY " + ("key" if group_by in ("day", "month") else "5 DESC, key")
    return [
        SpendRow(
            key=row[0],
            input_tokens=row[1],
            output_tokens=row[2],
            cached_tokens=row[3],
            cost_usd=row[4],
            trace_count=row[5],
        )
        for row in _conn(db).execute(sql, params)
    ]

"""Writing span rows and keeping the per-trace summaries in step, inside one transaction."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time

from sqlite_utils import Database

from workbench.store.schema.spans import SPAN_COLUMNS

_ROW = f"({', '.join('?' for _ in SPAN_COLUMNS)})"
_INSERT_SPANS = f"INSERT OR REPLACE INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES {_ROW}"
# Rows per multi-row INSERT: executemany releases and retakes the GIL for every
# row, which stalls the writer whenever the event loop holds it; one statement
# per chunk releases it once.  Same rows, same order, same conflict handling.
_CHUNK = 128

# Recomputed from the stored spans rather than accumulated, so re-delivered and
# out-of-order spans leave the same summary as one clean delivery.  Tokens and
# cost come from LLM spans when a trace has any (agent spans may carry totals
# of their children); otherwise from whatever spans carry them.
_REFRESH_TRACES = """
INSERT OR REPLACE INTO traces (
    trace_id, service, name, start_ns, end_ns, duration_ms, status,
    input_tokens, output_tokens, cached_tokens, cost_usd, span_count,
    session_id, variant, models, updated_ns
)
SELECT
    s.trace_id,
    COALESCE(MAX(CASE WHEN s.parent_id IS NULL THEN s.service END), MIN(s.service)),
    -- The root's name; until the root arrives, the earliest span's (COALESCE is lazy).
    COALESCE(
        MAX(CASE WHEN s.parent_id IS NULL THEN s.name END),
        (SELECT r.name FROM spans r WHERE r.trace_id = s.trace_id ORDER BY r.start_ns LIMIT 1)
    ),
    MIN(s.start_ns),
    MAX(s.end_ns),
    (MAX(s.end_ns) - MIN(s.start_ns)) / 1e6,
    CASE WHEN MAX(s.status = 'error') THEN 'error' ELSE 'ok' END,
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.input_tokens END), SUM(s.input_tokens), 0),
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.output_tokens END), SUM(s.output_tokens), 0),
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.cached_tokens END), SUM(s.cached_tokens), 0),
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.cost_usd END), SUM(s.cost_usd), 0.0),
    COUNT(*),
    MAX(s.session_id),
    MAX(s.variant),
    COALESCE(group_concat(DISTINCT s.model), ''),
    ?
FROM spans s
WHERE s.trace_id IN (SELECT value FROM json_each(?))
GROUP BY s.trace_id
"""


def write_spans(db: Database, rows: list[tuple]) -> None:
    """Upsert span rows (``SPAN_COLUMNS`` order) and refresh the summaries of their traces.

    The caller (``BatchWriter``) wraps this in a transaction, so a batch is
    stored whole or not at all.
    """
    if not rows:
        return
    conn = db.conn
    chunk = _chunk_rows(conn)
    whole = len(rows) - len(rows) % chunk
    if whole:
        insert = f"{_INSERT_SPANS}{f', {_ROW}' * (chunk - 1)}"
        for start in range(0, whole, chunk):
            conn.execute(insert, tuple(itertools.chain.from_iterable(rows[start : start + chunk])))
    if whole < len(rows):
        conn.executemany(_INSERT_SPANS, rows[whole:])
    trace_ids = sorted({row[0] for row in rows})
    conn.execute(_REFRESH_TRACES, (time.time_ns(), json.dumps(trace_ids)))


def _chunk_rows(conn: sqlite3.Connection) -> int:
    """Rows per statement, within this SQLite's limit on bound parameters."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(_CHUNK, limit // len(SPAN_COLUMNS)))

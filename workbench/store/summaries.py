"""Per-trace summaries: one SQL definition, written off the ingest acknowledgement, read exact.

The collector acknowledges an export once its spans are committed and their
traces are marked in ``trace_pending``; the ``traces`` rows of those traces are
refreshed afterwards, between batches (``summarize_pending``). Until then a
reader sees them through the ``pending_traces`` view, which computes the same
summary from the stored spans with the same expressions: every reader that
merges the two (``summary_sources``) reads exactly what a synchronous refresh
would have written, right after the acknowledgement.
"""

from __future__ import annotations

import sqlite3
import time

from sqlite_utils import Database

# Column order of ``traces``; the summary expressions below produce exactly these.
SUMMARY_COLUMNS = (
    "trace_id",
    "service",
    "name",
    "start_ns",
    "end_ns",
    "duration_ms",
    "status",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost_usd",
    "span_count",
    "session_id",
    "variant",
    "models",
    "updated_ns",
)

# Recomputed from the stored spans rather than accumulated, so re-delivered and
# out-of-order spans leave the same summary as one clean delivery.  Tokens and
# cost come from LLM spans when a trace has any (agent spans may carry totals
# of their children); otherwise from whatever spans carry them.
_EXPRESSIONS = """
    COALESCE(MAX(CASE WHEN s.parent_id IS NULL THEN s.service END), MIN(s.service)) AS service,
    -- The root's name; until the root arrives, the earliest span's (COALESCE is lazy).
    COALESCE(
        MAX(CASE WHEN s.parent_id IS NULL THEN s.name END),
        (SELECT r.name FROM spans r WHERE r.trace_id = s.trace_id ORDER BY r.start_ns LIMIT 1)
    ) AS name,
    MIN(s.start_ns) AS start_ns,
    MAX(s.end_ns) AS end_ns,
    (MAX(s.end_ns) - MIN(s.start_ns)) / 1e6 AS duration_ms,
    CASE WHEN MAX(s.status = 'error') THEN 'error' ELSE 'ok' END AS status,
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.input_tokens END), SUM(s.input_tokens), 0)
        AS input_tokens,
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.output_tokens END), SUM(s.output_tokens), 0)
        AS output_tokens,
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.cached_tokens END), SUM(s.cached_tokens), 0)
        AS cached_tokens,
    COALESCE(SUM(CASE WHEN s.kind = 'llm' THEN s.cost_usd END), SUM(s.cost_usd), 0.0)
        AS cost_usd,
    COUNT(*) AS span_count,
    MAX(s.session_id) AS session_id,
    MAX(s.variant) AS variant,
    COALESCE(group_concat(DISTINCT s.model), '') AS models"""

_COLUMNS = ", ".join(SUMMARY_COLUMNS)

# The synchronous refresh (``write_spans``): the given traces, stamped with the given time.
REFRESH_TRACES = f"""
INSERT OR REPLACE INTO traces ({_COLUMNS})
SELECT s.trace_id AS trace_id, {_EXPRESSIONS},
    ? AS updated_ns
FROM spans s
WHERE s.trace_id IN (SELECT value FROM json_each(?))
GROUP BY s.trace_id
"""

# Created by the spans migrations. CROSS JOIN keeps the (few) pending traces the outer
# loop: the planner would otherwise walk every span in key order; the pending table's id
# is the view's, so a lookup by id seeks it. A change here needs a migration that recreates
# the view (a test compares the stored definition with this one).
PENDING_VIEW = f"""CREATE VIEW pending_traces AS
SELECT p.trace_id AS trace_id, {_EXPRESSIONS},
    MAX(p.written_ns) AS updated_ns
FROM trace_pending p CROSS JOIN spans s ON s.trace_id = p.trace_id
GROUP BY p.trace_id"""

PENDING_TABLE = """CREATE TABLE trace_pending (
    trace_id TEXT PRIMARY KEY,     -- a trace whose spans were written after its summary
    written_ns INTEGER NOT NULL    -- wall clock of that write: the summary's updated_ns
) WITHOUT ROWID"""

_MARK_PENDING = "INSERT OR REPLACE INTO trace_pending (trace_id, written_ns) VALUES (?, ?)"
_SUMMARIZE = f"INSERT OR REPLACE INTO traces ({_COLUMNS}) SELECT {_COLUMNS} FROM pending_traces"

# A stored summary is current unless its trace is pending; the live one stands in for it then.
FRESH_STORED = "trace_id NOT IN (SELECT trace_id FROM trace_pending)"


def current_summaries(columns: str) -> str:
    """A FROM source of every trace's current summary (``columns`` of ``traces``).

    Filters on it reach both halves (SQLite pushes them down) and their indexes; an
    ORDER BY with LIMIT over many traces should use ``newest_page`` instead.
    """
    return (
        f"(SELECT {columns} FROM traces WHERE {FRESH_STORED} "
        f"UNION ALL SELECT {columns} FROM pending_traces)"
    )


def newest_page(columns: str, where: str, order: str) -> str:
    """One page of current summaries passing ``where``, by ``order``, in one statement.

    Bind the where clause's parameters, the limit, the same parameters, the limit,
    and the limit again: each half is paged on its own (the stored half by index),
    then the two pages are merged.
    """
    return (
        f"SELECT * FROM (SELECT {columns} FROM traces WHERE trace_id IN ("
        f"SELECT trace_id FROM traces WHERE ({where}) AND {FRESH_STORED} "
        f"ORDER BY {order} LIMIT ?)) "
        f"UNION ALL SELECT * FROM (SELECT {columns} FROM pending_traces WHERE ({where}) "
        f"ORDER BY {order} LIMIT ?) "
        f"ORDER BY {order} LIMIT ?"
    )


def one_summary(columns: str) -> str:
    """The current summary of the trace whose id is bound (``?1``), in one statement."""
    return (
        f"SELECT {columns} FROM pending_traces WHERE trace_id = ?1 UNION ALL "
        f"SELECT {columns} FROM traces WHERE trace_id = ?1 AND {FRESH_STORED}"
    )


def mark_pending(conn: sqlite3.Connection, trace_ids: list[str]) -> None:
    """Record that ``trace_ids`` have spans their summaries do not include yet (same transaction
    as the spans, so a reader sees both or neither)."""
    written = time.time_ns()
    conn.executemany(_MARK_PENDING, [(trace_id, written) for trace_id in trace_ids])


def summarize_pending(db: Database | sqlite3.Connection) -> int:
    """Refresh the summaries of every pending trace and clear their marks, in one
    transaction; how many traces it refreshed."""
    conn = db.conn if isinstance(db, Database) else db
    if conn.execute("SELECT 1 FROM trace_pending LIMIT 1").fetchone() is None:
        return 0
    # One write transaction: no export can mark a trace between the refresh and the delete.
    with conn:
        conn.execute(_SUMMARIZE)
        return conn.execute("DELETE FROM trace_pending").rowcount


def pending_count(db: Database | sqlite3.Connection) -> int:
    """How many traces have spans their stored summary does not include yet."""
    conn = db.conn if isinstance(db, Database) else db
    return conn.execute("SELECT COUNT(*) FROM trace_pending").fetchone()[0]

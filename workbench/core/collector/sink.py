"""Writing span rows, with their traces' summaries refreshed in the same transaction or after it.

A batch holds row tuples (exports decoded in the receiver's process) and staged images
(``staging.StagedSpans``, from the decode workers), written in the order they came.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Sequence

from sqlite_utils import Database

from workbench.core.collector.staging import StagedSpans, attach, copy_staged
from workbench.store.schema.spans import SPAN_COLUMNS
from workbench.store.summaries import REFRESH_TRACES, mark_pending

_ROW = f"({', '.join('?' for _ in SPAN_COLUMNS)})"
_INSERT_SPANS = f"INSERT OR REPLACE INTO spans ({', '.join(SPAN_COLUMNS)}) VALUES {_ROW}"
# Rows per multi-row INSERT: executemany releases and retakes the GIL for every
# row, which stalls the writer whenever the event loop holds it; one statement
# per chunk releases it once.  Same rows, same order, same conflict handling.
# Small chunks: each statement's registers (26 a row) are reset and bound on every
# run, and past a few hundred they fall out of the CPU caches. Writer CPU a span in
# 512-span transactions (min of 5, load 7-9): executemany 11.4 us, 4 rows 12.3,
# 8 rows 12.9, 16 rows 14.3, 128 rows 17.0.
_CHUNK = 8


SpanItem = tuple | StagedSpans


def write_spans(db: Database, rows: Sequence[SpanItem]) -> None:
    """Upsert span rows (``SPAN_COLUMNS`` order) and refresh the summaries of their traces.

    The caller (``BatchWriter``) wraps this in a transaction, so a batch is
    stored whole or not at all.
    """
    if not rows:
        return
    trace_ids = sorted(_upsert(db.conn, rows))
    db.conn.execute(REFRESH_TRACES, (time.time_ns(), json.dumps(trace_ids)))


def stage_spans(db: Database, rows: Sequence[SpanItem]) -> None:
    """Upsert span rows and mark their traces pending: the collector's acknowledged write.

    ``summaries.summarize_pending`` refreshes the summaries later (the collector's
    writer runs it between batches); readers merge pending traces meanwhile.
    """
    if not rows:
        return
    mark_pending(db.conn, sorted(_upsert(db.conn, rows)))


def _upsert(conn: sqlite3.Connection, items: Sequence[SpanItem]) -> set[str]:
    """Write row tuples and staged images in their order; the trace ids they touch."""
    trace_ids: set[str] = set()
    run: list[tuple] = []  # consecutive row tuples, inserted together
    if any(isinstance(item, StagedSpans) for item in items):
        attach(conn)
    for item in items:
        if isinstance(item, StagedSpans):
            _insert(conn, run)
            trace_ids.update(row[0] for row in run)
            run = []
            trace_ids.update(copy_staged(conn, item))
        else:
            run.append(item)
    _insert(conn, run)
    trace_ids.update(row[0] for row in run)
    return trace_ids


def _insert(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    if not rows:
        return
    chunk = _chunk_rows(conn)
    whole = len(rows) - len(rows) % chunk
    if whole:
        insert = f"{_INSERT_SPANS}{f', {_ROW}' * (chunk - 1)}"
        for start in range(0, whole, chunk):
            conn.execute(insert, tuple(itertools.chain.from_iterable(rows[start : start + chunk])))
    if whole < len(rows):
        conn.executemany(_INSERT_SPANS, rows[whole:])


def _chunk_rows(conn: sqlite3.Connection) -> int:
    """Rows per statement, within this SQLite's limit on bound parameters."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(_CHUNK, limit // len(SPAN_COLUMNS)))

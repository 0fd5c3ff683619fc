"""The writer's batch: chunked multi-row inserts store what row-by-row inserts store."""

from __future__ import annotations

import random

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import _INSERT_SPANS, write_spans
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.store.db import connect


def test_chunked_insert_matches_row_by_row_with_duplicates_across_chunks(tmp_path):
    rng = random.Random(9)
    spans = []
    for turn in range(50):
        spans += agent_turn(rng, start_ns=turn * 10**9)
    rows = normalize_request(make_request(spans)).rows
    # 300 + 5 + 1 rows: whole chunks, a remainder, and re-delivered spans whose
    # second copy (a changed name) must win whichever chunk it lands in.
    changed = [(*row[:3], "renamed", *row[4:]) for row in rows[120:125]]
    batch = rows + changed + rows[:1]
    chunked = connect(tmp_path / "chunked.db")
    with chunked.conn:
        write_spans(chunked, batch)
    plain = connect(tmp_path / "plain.db")
    with plain.conn:
        plain.conn.executemany(_INSERT_SPANS, batch)
    query = "SELECT * FROM spans ORDER BY trace_id, span_id"
    stored = chunked.conn.execute(query).fetchall()
    assert stored == plain.conn.execute(query).fetchall()
    assert len(stored) == len(rows)
    names = {row[1]: row[3] for row in stored}
    assert all(names[row[1]] == "renamed" for row in changed)
    spans_total = chunked.conn.execute("SELECT sum(span_count) FROM traces").fetchone()[0]
    assert spans_total == len(rows)

"""The writer's batch: chunked multi-row inserts and staged images store what row-by-row
inserts store."""

from __future__ import annotations

import random
import sqlite3

import pytest

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import _INSERT_SPANS, stage_spans, write_spans
from workbench.core.collector.staging import StagedSpans, stage, staged_rows
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.store.db import connect
from workbench.store.schema.spans import SPAN_COLUMNS
from workbench.store.writer import BatchWriter


def _stored(db) -> list[tuple]:
    return db.conn.execute("SELECT * FROM spans ORDER BY trace_id, span_id").fetchall()


def _stored_row_by_row(tmp_path, rows: list[tuple]) -> list[tuple]:
    """What one plain row-by-row upsert of ``rows`` stores."""
    plain = connect(tmp_path / "plain.db")
    with plain.conn:
        plain.conn.executemany(_INSERT_SPANS, rows)
    return _stored(plain)


def _written_as_row_by_row(tmp_path, name, write, items, flat, span_count):
    """Write ``items`` with ``write`` into a fresh database; check it stores exactly what a
    row-by-row upsert of ``flat`` stores, ``span_count`` spans; (the database, span names)."""
    db = connect(tmp_path / f"{name}.db")
    with db.conn:
        write(db, items)
    stored = _stored(db)
    assert stored == _stored_row_by_row(tmp_path, flat)
    assert len(stored) == span_count
    return db, {row[1]: row[3] for row in stored}


def test_chunked_insert_matches_row_by_row_with_duplicates_across_chunks(tmp_path):
    rows = _turn_rows(9, 50)
    # 300 + 5 + 1 rows: whole chunks, a remainder, and re-delivered spans whose
    # second copy (a changed name) must win whichever chunk it lands in.
    changed = [(*row[:3], "renamed", *row[4:]) for row in rows[120:125]]
    batch = rows + changed + rows[:1]
    chunked, names = _written_as_row_by_row(
        tmp_path, "chunked", write_spans, batch, batch, len(rows)
    )
    assert all(names[row[1]] == "renamed" for row in changed)
    spans_total = chunked.conn.execute("SELECT sum(span_count) FROM traces").fetchone()[0]
    assert spans_total == len(rows)


def _turn_rows(seed: int, turns: int) -> list[tuple]:
    rng = random.Random(seed)
    spans = []
    for turn in range(turns):
        spans += agent_turn(rng, start_ns=turn * 10**9)
    return normalize_request(make_request(spans)).rows


def _renamed(rows: list[tuple], name: str) -> list[tuple]:
    return [(*row[:3], name, *row[4:]) for row in rows]


def _staged(rows: list[tuple]) -> StagedSpans:
    return stage(rows)


def _image(*statements: str) -> bytes:
    memory = sqlite3.connect(":memory:")
    for statement in statements:
        memory.execute(statement)
    memory.commit()
    return memory.serialize()


def test_staged_images_and_row_tuples_store_what_the_tuples_store_in_their_order(tmp_path):
    rows = _turn_rows(3, 30)
    first, second, third = rows[:100], rows[100:200], rows[200:]
    # Re-deliveries across the parts: the later copy must win, whichever form it came in.
    again_in_image = _renamed(first[:7], "from the image")
    again_as_tuples = _renamed(second[:5], "from the tuples")
    again_within_image = _renamed(second[50:54], "later in the image")
    items: list[tuple | StagedSpans] = [
        *first,
        _staged(second + again_in_image + again_within_image),
        *again_as_tuples,
        *third,
        _staged(third[:3]),
    ]
    flat = (
        first + second + again_in_image + again_within_image + again_as_tuples + third + third[:3]
    )
    staged_db, names = _written_as_row_by_row(
        tmp_path, "staged", stage_spans, items, flat, len(rows)
    )
    assert {names[row[1]] for row in again_in_image} == {"from the image"}
    assert {names[row[1]] for row in again_as_tuples} == {"from the tuples"}
    assert {names[row[1]] for row in again_within_image} == {"later in the image"}
    pending = {row[0] for row in staged_db.conn.execute("SELECT trace_id FROM trace_pending")}
    assert pending == {row[0] for row in rows}
    # Unqualified names still mean the workbench's own tables, not the staged image's.
    assert staged_db.conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0] == len(rows)


def test_a_damaged_image_fails_its_whole_batch(tmp_path):
    rows = _turn_rows(4, 10)
    good = _staged(rows[40:])
    columns = ", ".join(SPAN_COLUMNS)
    values = ", ".join(f"'{name}'" for name in SPAN_COLUMNS)
    damaged = [
        StagedSpans(good.image, good.count + 1),  # fewer rows than announced
        StagedSpans(good.image[: len(good.image) // 2], good.count),  # cut short
        StagedSpans(b"not a database" * 100, good.count),
        # Something else answering to the staging table's name, with the rows announced.
        StagedSpans(_image(f"CREATE VIEW incoming AS SELECT {values}"), 1),
        StagedSpans(_image(f"CREATE TABLE incoming ({columns}, rowid)"), 0),
    ]
    for index, image in enumerate(damaged):
        path = tmp_path / f"damaged-{index}.db"
        with BatchWriter(stage_spans, path=path) as writer:
            future = writer.submit([*rows[:40], image], count=40 + image.count)
            with pytest.raises(sqlite3.DatabaseError):
                future.result(timeout=30)
            stats = writer.stats()
        db = connect(path)
        # Nothing of the batch is stored, not even its row tuples; nothing is counted.
        assert db.conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0] == 0
        assert db.conn.execute("SELECT COUNT(*) FROM trace_pending").fetchone()[0] == 0
        assert stats["batches"] == 0 and stats["items"] == 0


def test_the_writer_keeps_no_image_after_copying_it(tmp_path):
    rows = _turn_rows(6, 60)
    db = connect(tmp_path / "released.db")
    with db.conn:
        stage_spans(db, [_staged(rows)])
    assert db.conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0] == len(rows)
    assert db.conn.execute("SELECT COUNT(*) FROM staged.sqlite_schema").fetchone()[0] == 0
    assert db.conn.execute("PRAGMA staged.page_count").fetchone()[0] <= 1


def test_the_writer_counts_an_image_as_the_rows_it_holds(tmp_path):
    rows = _turn_rows(5, 10)
    image = _staged(rows[10:])
    path = tmp_path / "counted.db"
    with BatchWriter(stage_spans, path=path) as writer:
        counted = writer.submit([*rows[:10], image], count=10 + image.count).result(timeout=30)
        stats = writer.stats()
    assert counted == len(rows)
    assert stats["items"] == len(rows) and stats["batches"] == 1
    assert staged_rows(image) == rows[10:]

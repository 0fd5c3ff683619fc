"""Trace summaries refreshed after the acknowledgement: until the collector's writer refreshes
them, every reader sees pending traces exactly as a synchronous refresh would have stored
them, and the refresh then stores the same rows."""

from __future__ import annotations

import random
import threading

import pytest

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import stage_spans, write_spans
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.core.live import TraceReader
from workbench.core.trace_charts import trace_series
from workbench.store.db import connect
from workbench.store.summaries import PENDING_VIEW, pending_count, summarize_pending
from workbench.store.trace_browse import distinct_values, session_turns
from workbench.store.traces import (
    distinct_model_sets,
    get_trace,
    list_traces,
    resolve_trace_id,
    spend,
    traces_since,
)
from workbench.store.writer import BatchWriter

TRACES = 30


def _rows() -> list[tuple]:
    rng = random.Random(15)
    spans = []
    for turn in range(TRACES):
        model = "gpt-4o-mini" if turn % 3 else "claude-3-5-haiku"
        spans += agent_turn(rng, start_ns=1_700_000_000_000_000_000 + turn * 10**9, model=model)
    return normalize_request(make_request(spans, service="support-agent")).rows


@pytest.fixture
def stores(tmp_path):
    """The same spans written twice: summaries refreshed in the write (``sync``), and staged
    with the refresh deferred (``staged``): half refreshed, then more spans of the same
    traces arrive and nothing is refreshed."""
    rows = _rows()
    # Every trace gets its root and some children first, its other spans later.
    first = [row for index, row in enumerate(rows) if index % 6 < 3]
    second = [row for index, row in enumerate(rows) if index % 6 >= 3]
    sync = connect(tmp_path / "sync.db")
    staged = connect(tmp_path / "staged.db")
    for part in (first, second):
        with sync.conn:
            write_spans(sync, part)
    with staged.conn:
        stage_spans(staged, first)
    summarize_pending(staged)
    with staged.conn:
        stage_spans(staged, second)
    assert pending_count(staged) == TRACES
    yield sync, staged
    sync.conn.close()
    staged.conn.close()


def _same(summaries) -> list[dict]:
    return [summary.model_dump(exclude={"updated_ns"}) for summary in summaries]


def test_lists_see_pending_traces_as_refreshed(stores):
    sync, staged = stores
    for filters in (
        {},
        {"project": "support-agent"},
        {"status": "ok"},
        {"model": "claude"},
        {"search": "support"},
        {"variant": "concise"},
        {"since_ns": 1_700_000_010_000_000_000},
    ):
        expected = list_traces(sync, limit=7, **filters)
        assert expected, filters
        assert _same(list_traces(staged, limit=7, **filters)) == _same(expected), filters
        after = expected[-1].cursor
        assert _same(list_traces(staged, limit=7, before=after, **filters)) == _same(
            list_traces(sync, limit=7, before=after, **filters)
        )
    assert distinct_model_sets(staged) == distinct_model_sets(sync)
    assert distinct_values(staged, "variant") == distinct_values(sync, "variant")
    assert distinct_values(staged, "session_id") == distinct_values(sync, "session_id")
    changed = traces_since(staged, 0, limit=1000)
    assert sorted(_same(changed), key=lambda s: s["trace_id"]) == sorted(
        _same(traces_since(sync, 0, limit=1000)), key=lambda s: s["trace_id"]
    )


def test_one_trace_spend_and_sessions_see_pending_spans(stores):
    sync, staged = stores
    for summary in list_traces(sync, limit=TRACES):
        trace_id = summary.trace_id
        assert resolve_trace_id(staged, trace_id[:10]) == trace_id
        live, stored = get_trace(staged, trace_id), get_trace(sync, trace_id)
        assert live is not None and stored is not None
        assert live.span_count == 6
        assert live.model_dump(exclude={"updated_ns"}) == stored.model_dump(exclude={"updated_ns"})
    for group in ("session", "variant", "day", "model", "source"):
        assert spend(staged, group_by=group) == spend(sync, group_by=group), group
    session = list_traces(sync, limit=1)[0].session_id
    assert session is not None
    turns = session_turns(staged, session)
    assert [turn.model_dump(exclude={"summary": {"updated_ns"}}) for turn in turns] == [
        turn.model_dump(exclude={"summary": {"updated_ns"}})
        for turn in session_turns(sync, session)
    ]
    live_series, stored_series = trace_series(staged), trace_series(sync)
    assert live_series.model_dump() == stored_series.model_dump()


def test_the_trace_reader_sees_pending_traces(stores, tmp_path):
    sync, _ = stores
    reader = TraceReader(tmp_path / "staged.db")
    try:
        newest = list_traces(sync, limit=1)[0]
        assert reader.projects() == ["support-agent"]
        assert reader.latest_change() > 0
        assert reader.trace_version(newest.trace_id) == (6, reader.latest_change())
        outline = reader.trace_outline(newest.trace_id)
        assert outline is not None and outline.span_count == 6 and len(outline.spans) == 6
        assert newest.session_id is not None
        found = reader.session_trace("support-agent", newest.session_id, newest.start_ns)
        assert found is not None and found.trace_id == newest.trace_id
    finally:
        reader.close()


def test_the_deferred_refresh_stores_what_the_synchronous_one_does(stores):
    sync, staged = stores
    assert summarize_pending(staged) == TRACES
    assert pending_count(staged) == 0
    columns = "trace_id, service, name, start_ns, end_ns, duration_ms, status, input_tokens, "
    columns += "output_tokens, cached_tokens, cost_usd, span_count, session_id, variant, models"
    query = f"SELECT {columns} FROM traces ORDER BY trace_id"
    assert staged.conn.execute(query).fetchall() == sync.conn.execute(query).fetchall()
    assert summarize_pending(staged) == 0


def test_the_stored_view_is_the_one_the_code_defines(tmp_path):
    """A changed summary expression needs a migration that recreates the view."""
    db = connect(tmp_path / "x.db")
    (stored,) = db.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'pending_traces'"
    ).fetchone()
    assert stored == PENDING_VIEW


def test_the_writer_runs_deferred_work_when_idle_and_before_it_stops(tmp_path):
    ran = threading.Event()
    calls: list[int] = []

    def after(db) -> None:
        calls.append(1)
        ran.set()
        if len(calls) == 2:
            raise RuntimeError("a failed refresh must not stop the writer")

    writer = BatchWriter(lambda db, items: None, path=tmp_path / "w.db", after=after)
    assert ran.wait(10)  # owed at start: a previous run may have left work
    ran.clear()
    assert writer.write([1]) == 1
    assert ran.wait(10)  # the queue emptied: the deferred work ran (and failed)
    ran.clear()
    assert writer.write([2]) == 1  # still writing after the failure
    assert ran.wait(10)
    count = len(calls)
    writer.close()
    assert len(calls) == count  # nothing owed, nothing run at close
    writer = BatchWriter(lambda db, items: None, path=tmp_path / "w.db", after=after)
    writer.submit([3])
    writer.close()  # owed: run before stopping
    assert len(calls) >= count + 1


def test_the_writer_runs_deferred_work_once_enough_items_are_owed(tmp_path):
    """Under sustained load (never idle, lag not reached) the deferred work runs once
    ``max_owed`` items were committed since it last ran, not after every batch."""
    ran = threading.Event()
    calls: list[int] = []

    def after(db) -> None:
        calls.append(1)
        ran.set()

    writer = BatchWriter(
        lambda db, items: None,
        path=tmp_path / "w.db",
        after=after,
        idle_wait=3600,
        max_lag=3600,
        max_owed=3,
    )
    assert writer.write([1]) == 1  # one owed: below the bound
    assert writer.write([2, 3]) == 2  # three owed: the deferred work runs
    assert ran.wait(30)
    assert len(calls) == 1
    writer.close()
    assert len(calls) == 1  # nothing owed since: nothing run at close

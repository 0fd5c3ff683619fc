"""Trace queries: keyset pages, filters, prefixes, live updates and spend rollups."""

from __future__ import annotations

import random

import pytest

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import agent_turn, make_request, make_span
from workbench.core.tracemodels import SpanRecord
from workbench.errors import WorkbenchError
from workbench.store.db import connect
from workbench.store.traces import get_trace, list_traces, spend, traces_since

DAY_NS = 86_400 * 10**9
JAN_1 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z


def store(db, spans, service="shop"):
    with db.conn:
        write_spans(db, normalize_request(make_request(spans, service=service)).rows)


def llm_span(
    trace: bytes,
    span: bytes,
    *,
    start: int,
    model="gpt-4o-mini",
    tokens=(100, 10),
    session=None,
    variant=None,
    status=0,
    parent=b"",
):
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
    }
    if session:
        attributes["gen_ai.conversation.id"] = session
    if variant:
        attributes["workbench.variant"] = variant
    return make_span(
        trace, span, f"chat {model}", attributes, start_ns=start, status=status, parent_id=parent
    )


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "t.db")
    yield database
    database.conn.close()


def test_keyset_pages_cover_every_trace_once_newest_first(db):
    rng = random.Random(3)
    spans = []
    for index in range(60):
        # Pairs of traces share a start time, so the trace id must break ties.
        spans.append(
            make_span(
                rng.randbytes(16),
                rng.randbytes(8),
                f"t{index}",
                start_ns=JAN_1 + (index // 2) * 1000,
            )
        )
    store(db, spans)
    everything = list_traces(db, limit=1000)
    assert len(everything) == 60
    keys = [(t.start_ns, t.trace_id) for t in everything]
    assert keys == sorted(keys, reverse=True)
    paged, before = [], None
    while True:
        page = list_traces(db, limit=7, before=before)
        if not page:
            break
        paged += page
        before = page[-1].cursor
    assert [t.trace_id for t in paged] == [t.trace_id for t in everything]


def test_filters(db):
    rng = random.Random(4)
    ok_trace, bad_trace, other_trace = (rng.randbytes(16) for _ in range(3))
    store(db, [llm_span(ok_trace, b"\x01" * 8, start=JAN_1, model="gpt-4o-mini")])
    store(db, [llm_span(bad_trace, b"\x02" * 8, start=JAN_1 + 1, model="gpt-4o", status=2)])
    store(
        db,
        [make_span(other_trace, b"\x03" * 8, "refund_flow", start_ns=JAN_1 + 2)],
        service="billing",
    )
    ids = lambda rows: {row.trace_id for row in rows}  # noqa: E731
    assert ids(list_traces(db, project="billing")) == {other_trace.hex()}
    assert ids(list_traces(db, status="error")) == {bad_trace.hex()}
    assert ids(list_traces(db, status="ok")) == {ok_trace.hex(), other_trace.hex()}
    assert ids(list_traces(db, model="gpt-4o-mini")) == {ok_trace.hex()}
    assert ids(list_traces(db, model="gpt-4o")) == {ok_trace.hex(), bad_trace.hex()}
    assert ids(list_traces(db, search="REFUND")) == {other_trace.hex()}
    assert ids(list_traces(db, search="bill")) == {other_trace.hex()}
    assert ids(list_traces(db, search=bad_trace.hex()[:9])) == {bad_trace.hex()}
    assert ids(list_traces(db, search="100%_")) == set()
    assert ids(list_traces(db, project="shop", status="error")) == {bad_trace.hex()}


def test_get_trace_by_full_id_and_unique_prefix(db):
    spans = agent_turn(random.Random(5), start_ns=JAN_1)
    store(db, spans, service="support-agent")
    trace_id = spans[0].trace_id.hex()
    detail = get_trace(db, trace_id)
    assert detail is not None
    assert detail.name == "invoke_agent support" and detail.project == "support-agent"
    assert detail.span_count == len(detail.spans) == 6
    assert [s.start_ns for s in detail.spans] == sorted(s.start_ns for s in detail.spans)
    assert {s.kind for s in detail.spans} == {"agent", "guardrail", "llm", "tool"}
    llm = [s for s in detail.spans if s.kind == "llm"]
    assert detail.input_tokens == sum(s.input_tokens for s in llm)
    assert detail.cost_usd == pytest.approx(sum(s.cost_usd for s in llm))
    assert all(s.resource["service.name"] == "support-agent" for s in detail.spans)
    for span in detail.spans:  # built without validation, yet equal to a validated model
        assert span == SpanRecord.model_validate(span.model_dump())
    assert get_trace(db, trace_id[:8].upper()).trace_id == trace_id
    assert get_trace(db, trace_id[:7]) is None
    assert get_trace(db, "f" * 32) is None
    assert get_trace(db, "not hex at all") is None


def test_ambiguous_prefix_is_an_error(db):
    store(
        db,
        [
            make_span(bytes.fromhex("abcdef12" + "0" * 23 + "1"), b"\x01" * 8, "a"),
            make_span(bytes.fromhex("abcdef12" + "0" * 23 + "2"), b"\x01" * 8, "b"),
        ],
    )
    with pytest.raises(WorkbenchError, match="ambiguous"):
        get_trace(db, "abcdef12")
    assert get_trace(db, "abcdef12" + "0" * 23 + "2").name == "b"


def test_traces_since_reports_each_change(db):
    rng = random.Random(6)
    first = rng.randbytes(16)
    store(db, [make_span(first, b"\x01" * 8, "one", start_ns=JAN_1)])
    changes = traces_since(db, 0)
    assert [t.trace_id for t in changes] == [first.hex()]
    mark = changes[-1].updated_ns
    assert traces_since(db, mark) == []
    second = rng.randbytes(16)
    store(db, [make_span(second, b"\x02" * 8, "two", start_ns=JAN_1)])
    store(db, [make_span(first, b"\x03" * 8, "child", parent_id=b"\x01" * 8, start_ns=JAN_1)])
    assert [t.trace_id for t in traces_since(db, mark)] == [second.hex(), first.hex()]
    assert traces_since(db, mark, project="nope") == []


def test_spend_rollups(db):
    rng = random.Random(7)
    store(
        db,
        [
            llm_span(
                rng.randbytes(16),
                b"\x01" * 8,
                start=JAN_1,
                session="s1",
                variant="a",
                tokens=(1000, 100),
            )
        ],
    )
    store(
        db,
        [
            llm_span(
                rng.randbytes(16),
                b"\x01" * 8,
                start=JAN_1 + DAY_NS,
                session="s1",
                variant="b",
                model="gpt-4o",
                tokens=(2000, 200),
            )
        ],
    )
    store(
        db,
        [
            llm_span(
                rng.randbytes(16),
                b"\x01" * 8,
                start=JAN_1 + 40 * DAY_NS,
                session="s2",
                variant="a",
                tokens=(10, 1),
            )
        ],
        service="other",
    )
    by_session = {row.key: row for row in spend(db, group_by="session")}
    assert by_session["s1"].input_tokens == 3000 and by_session["s1"].trace_count == 2
    assert by_session["s2"].output_tokens == 1
    by_model = {row.key: row for row in spend(db, group_by="model")}
    assert by_model["gpt-4o"].input_tokens == 2000
    assert by_model["gpt-4o-mini"].trace_count == 2
    assert by_model["gpt-4o"].cost_usd > by_model["gpt-4o-mini"].cost_usd > 0
    by_day = spend(db, group_by="day")
    assert [row.key for row in by_day] == ["2024-01-01", "2024-01-02", "2024-02-10"]
    by_month = spend(db, group_by="month")
    assert [(row.key, row.trace_count) for row in by_month] == [("2024-01", 2), ("2024-02", 1)]
    assert {row.key for row in spend(db, group_by="variant", project="shop")} == {"a", "b"}
    recent = spend(db, group_by="variant", since_ns=JAN_1 + DAY_NS)
    assert {(row.key, row.trace_count) for row in recent} == {("a", 1), ("b", 1)}
    total = sum(row.cost_usd for row in spend(db, group_by="month"))
    assert total == pytest.approx(sum(row.cost_usd for row in by_model.values()))


def _seed_summaries(db, rng: random.Random, model_sets: list[str], count: int) -> list[tuple]:
    """Trace summary rows straight into ``traces`` (what the collector's refresh writes)."""
    rows = []
    for index in range(count):
        start = JAN_1 + rng.randrange(50) * 10**9 + index  # ties on the second, not the id
        rows.append(
            (
                rng.randbytes(16).hex(),
                rng.choice(("shop", "billing")),
                rng.choice(("chat", "refund_flow")),
                start,
                start + 10,
                0.0,
                "error" if rng.random() < 0.2 else "ok",
                1,
                1,
                0,
                0.0,
                1,
                None,
                None,
                rng.choice(model_sets),
                start,
            )
        )
    with db.conn:
        db.conn.executemany(f"INSERT INTO traces VALUES ({', '.join('?' * 16)})", rows)
    return rows


def _all_pages(db, **filters) -> list[str]:
    pages, before = [], None
    while True:
        page = list_traces(db, limit=7, before=before, **filters)
        pages += [summary.trace_id for summary in page]
        if len(page) < 7:
            return pages
        before = page[-1].cursor


@pytest.mark.parametrize("extra_sets", [0, 30], ids=["merged", "many-sets"])
def test_model_filter_pages_equal_a_scan(db, extra_sets):
    """Every page of the indexed model filter is what a full scan with instr() would give."""
    rng = random.Random(11)
    model_sets = ["gpt-4o-mini", "gpt-4o", "claude-haiku-4-5", "gpt-4o,gpt-4o-mini", ""]
    model_sets += [f"local-{index}" for index in range(extra_sets)]
    rows = _seed_summaries(db, rng, model_sets, 400)
    newest_first = sorted(rows, key=lambda row: (row[3], row[0]), reverse=True)
    for model in ("gpt-4o", "gpt-4o-mini", "4o,gpt", "claude", "local-1", "no-such-model"):
        for filters in ({}, {"project": "billing"}, {"status": "error"}, {"search": "refund"}):
            expected = [
                row[0]
                for row in newest_first
                if model in row[14]
                and row[1] == filters.get("project", row[1])
                and row[6] == filters.get("status", row[6])
                and ("search" not in filters or "refund" in row[2])
            ]
            assert _all_pages(db, model=model, **filters) == expected, (model, filters)


def test_model_filter_reads_the_model_index(db):
    """Neither finding the model sets nor paging one of them scans the traces table."""
    from workbench.store.traces import distinct_model_sets

    _seed_summaries(db, random.Random(12), ["gpt-4o", "gpt-4o-mini"], 50)
    assert distinct_model_sets(db) == ["gpt-4o", "gpt-4o-mini"]
    plans = [
        " ".join(str(row[-1]) for row in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        for sql, params in (
            ("SELECT MIN(models) FROM traces WHERE models > ?", ["gpt"]),
            (
                "SELECT trace_id FROM traces WHERE models = ? "
                "ORDER BY start_ns DESC, trace_id DESC LIMIT 50",
                ["gpt-4o"],
            ),
        )
    ]
    for plan in plans:
        assert plan.startswith("SEARCH traces USING COVERING INDEX traces_models_page"), plan

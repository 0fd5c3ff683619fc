"""Budgets: spend from stored traces against the project's [budgets] limits."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.budget import budget_status, day_start_ns, month_start_ns
from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import make_request, make_span
from workbench.store.db import connect

NOW = dt.datetime(2025, 6, 15, 12, 0).astimezone()
NOW_NS = int(NOW.timestamp() * 1e9)
HOUR = 3600 * 10**9


def store_turn(
    db,
    *,
    service: str = "fake-agent",
    start_ns: int = NOW_NS,
    session: str = "s1",
    variant: str = "baseline",
    model: str = "gpt-4o-mini",
    tokens: tuple[int, int] = (100, 50),
    cost: float = 0.001,
    source: str | None = None,
) -> str:
    """Store one agent turn (agent span + one LLM span) and return its trace id."""
    trace_id, agent_id, llm_id = os.urandom(16), os.urandom(8), os.urandom(8)
    common = {"gen_ai.conversation.id": session, "workbench.variant": variant}
    if source is not None:
        common["workbench.model_source"] = source
    spans = [
        make_span(
            trace_id,
            agent_id,
            "invoke_agent fake",
            {**common, "gen_ai.operation.name": "invoke_agent"},
            start_ns=start_ns,
            duration_ns=10**8,
        ),
        make_span(
            trace_id,
            llm_id,
            f"chat {model}",
            {
                **common,
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": tokens[0],
                "gen_ai.usage.output_tokens": tokens[1],
                "workbench.cost_usd": cost,
            },
            parent_id=agent_id,
            start_ns=start_ns + 1000,
            duration_ns=10**7,
        ),
    ]
    normalized = normalize_request(make_request(spans, service=service))
    with db.conn:
        write_spans(db, normalized.rows)
    return trace_id.hex()


@pytest.fixture
def project(tmp_path: Path):
    return make_fake_project(tmp_path)


def test_spend_against_each_limit(project) -> None:
    db = connect()
    last_month = int((NOW - dt.timedelta(days=40)).timestamp() * 1e9)
    store_turn(db, start_ns=last_month, cost=5.0, session="old")
    store_turn(db, start_ns=NOW_NS - 48 * HOUR, cost=2.0, session="s1", model="gpt-4o")
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.3, tokens=(300, 100), variant="candidate")
    last = store_turn(db, start_ns=NOW_NS, cost=0.006, tokens=(500, 100))
    store_turn(db, service="someone-else", cost=99.0)

    report = budget_status(db, project, now=NOW)
    lines = {line.name: line for line in report.lines}

    assert report.request_trace_id == last
    assert lines["usd_per_request"].spent == pytest.approx(0.006)
    assert lines["usd_per_request"].share == pytest.approx(0.6)
    assert lines["usd_per_request"].crossed == [0.5]
    assert lines["tokens_per_request"].spent == 600
    assert lines["tokens_per_request"].limit is None
    assert lines["tokens_per_request"].share is None
    assert report.session_id == "s1"
    assert lines["tokens_per_session"].spent == 150 + 400 + 600
    assert lines["tokens_per_session"].crossed == [0.5, 0.8, 1.0]
    assert lines["tokens_per_session"].exceeded
    assert lines["usd_per_day"].spent == pytest.approx(0.306)
    assert lines["usd_per_month"].spent == pytest.approx(2.306)
    assert lines["usd_per_month"].crossed == []
    assert {line.name for line in report.alerts} == {"usd_per_request", "tokens_per_session"}
    assert [line.name for line in report.exceeded] == ["tokens_per_session"]
    by_model = {row.key: row.cost_usd for row in report.by_model}
    assert by_model == pytest.approx({"gpt-4o": 2.0, "gpt-4o-mini": 0.306})
    by_variant = {row.key: row.cost_usd for row in report.by_variant}
    assert by_variant == pytest.approx({"baseline": 2.006, "candidate": 0.3})


def test_real_spend_is_reported_apart_from_mock_replay_and_probes(project) -> None:
    db = connect()
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.5)  # a deployed service: no source stamped
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.25, source="real")
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.125, source="record")
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.01, source="mock")
    store_turn(db, start_ns=NOW_NS - HOUR, cost=0.02, source="mock", variant="readiness-probe")
    store_turn(db, start_ns=NOW_NS, cost=0.0, source="replay")

    by_source = {row.key: row for row in budget_status(db, project, now=NOW).by_source}

    assert set(by_source) == {"real", "mock", "probe", "replay"}
    assert by_source["real"].cost_usd == pytest.approx(0.875)
    assert by_source["real"].trace_count == 3
    assert by_source["mock"].cost_usd == pytest.approx(0.01)
    assert by_source["probe"].cost_usd == pytest.approx(0.02)
    assert by_source["replay"].cost_usd == 0


def test_explicit_session_and_request(project) -> None:
    db = connect()
    first = store_turn(db, session="a", cost=0.02, tokens=(10, 10))
    store_turn(db, session="b", start_ns=NOW_NS + 1, cost=0.001)
    report = budget_status(db, project, session_id="a", trace_id=first, now=NOW)
    lines = {line.name: line for line in report.lines}
    assert lines["tokens_per_session"].spent == 20
    assert lines["tokens_per_session"].scope == "session a"
    assert lines["usd_per_request"].spent == pytest.approx(0.02)
    assert lines["usd_per_request"].crossed == [0.5, 0.8, 1.0]


def test_no_traces_yet(project) -> None:
    report = budget_status(connect(), project, now=NOW)
    assert report.request_trace_id is None
    assert all(line.spent == 0 for line in report.lines)
    assert report.alerts == []


def test_day_and_month_start_are_local_midnights() -> None:
    start = dt.datetime.fromtimestamp(day_start_ns(NOW) / 1e9)
    assert (start.hour, start.minute, start.day) == (0, 0, 15)
    first = dt.datetime.fromtimestamp(month_start_ns(NOW) / 1e9)
    assert (first.day, first.hour) == (1, 0)

"""``workbench traces list`` and ``show``, and the shared trace renderer."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from rich.console import Console

from workbench.cli import cli
from workbench.cli.trace_render import render_trace_totals, render_trace_tree
from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import agent_turn, make_request, make_span
from workbench.store.db import connect
from workbench.store.traces import get_trace

JAN_1 = 1_704_067_200 * 10**9


@pytest.fixture
def seeded() -> list[str]:
    """Three stored traces in the test's WORKBENCH_HOME: two turns and a failed one."""
    rng = random.Random(11)
    db = connect()
    ids = []
    with db.conn:
        for index in range(2):
            spans = agent_turn(rng, start_ns=JAN_1 + index * 10**9)
            write_spans(db, normalize_request(make_request(spans, service="support-agent")).rows)
            ids.append(spans[0].trace_id.hex())
        failed = make_span(
            rng.randbytes(16),
            rng.randbytes(8),
            "invoke_agent billing",
            {"workbench.guardrail.name": "pii", "workbench.guardrail.verdict": "block"},
            start_ns=JAN_1 + 5 * 10**9,
            status=2,
            message="model unreachable",
        )
        write_spans(db, normalize_request(make_request([failed], service="billing")).rows)
        ids.append(failed.trace_id.hex())
    db.conn.close()
    return ids


def test_list_json(seeded):
    result = CliRunner().invoke(cli, ["traces", "list", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [item["trace_id"] for item in items] == seeded[::-1]
    first = items[1]
    for key in (
        "name",
        "status",
        "duration_ms",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "span_count",
        "start_time",
        "project",
        "models",
    ):
        assert key in first
    assert first["span_count"] == 6 and first["input_tokens"] > 0 and first["cost_usd"] > 0
    assert first["start_time"].startswith("2024-01-01T00:00:01")


def test_list_filters_and_limit(seeded):
    runner = CliRunner()
    only_errors = json.loads(
        runner.invoke(cli, ["traces", "list", "--status", "error", "--json"]).output
    )
    assert [item["trace_id"] for item in only_errors] == [seeded[2]]
    limited = json.loads(runner.invoke(cli, ["traces", "list", "-n", "1", "--json"]).output)
    assert len(limited) == 1
    project = json.loads(
        runner.invoke(cli, ["traces", "list", "--project", "support-agent", "--json"]).output
    )
    assert {item["project"] for item in project} == {"support-agent"}


def test_list_table(seeded):
    result = CliRunner().invoke(cli, ["traces", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "invoke_agent support" in result.output
    assert seeded[2][:12] in result.output
    assert "support-agent" in result.output


def test_list_when_empty():
    result = CliRunner().invoke(cli, ["traces", "list"])
    assert result.exit_code == 0
    assert "no traces yet" in result.output


def test_show_json(seeded):
    result = CliRunner().invoke(cli, ["traces", "show", seeded[0], "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["trace_id"] == seeded[0] and len(data["spans"]) == data["span_count"] == 6
    for span in data["spans"]:
        for key in (
            "span_id",
            "parent_id",
            "name",
            "kind",
            "model",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "status",
            "attributes",
        ):
            assert key in span
    tools = [
        span["attributes"]["gen_ai.tool.name"] for span in data["spans"] if span["kind"] == "tool"
    ]
    assert tools == ["lookup_order", "check_return_eligibility"]


def test_show_tree(seeded):
    result = CliRunner().invoke(cli, ["traces", "show", seeded[0][:8]], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "invoke_agent support" in lines[0]
    assert any("execute_tool lookup_order" in line for line in lines)
    assert any("verdict: pass" in line for line in lines)
    assert lines[-1].startswith("Total: 6 spans")


def test_show_unknown_trace_is_one_line_exit_2(seeded):
    result = CliRunner().invoke(cli, ["traces", "show", "0123456789abcdef"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("error: no trace")


def test_tree_marks_errors_and_blocks(seeded):
    db = connect()
    detail = get_trace(db, seeded[2])
    db.conn.close()
    console = Console(record=True, width=200, color_system="truecolor")
    console.print(render_trace_tree(detail))
    console.print(render_trace_totals(detail))
    text = console.export_text(styles=False)
    assert "error: model unreachable" in text and "verdict: block" in text
    (node,) = render_trace_tree(detail).children
    error_at = node.label.plain.index("error: model unreachable")
    styles = [str(span.style) for span in node.label.spans if span.start <= error_at < span.end]
    assert styles and all("red" in style for style in styles)


def test_tree_nests_children_under_parents():
    rng = random.Random(12)
    spans = agent_turn(rng, start_ns=JAN_1)
    db = connect()
    with db.conn:
        write_spans(db, normalize_request(make_request(spans)).rows)
    detail = get_trace(db, spans[0].trace_id.hex())
    db.conn.close()
    tree = render_trace_tree(detail)
    (agent,) = tree.children
    assert "invoke_agent support" in str(agent.label)
    assert len(agent.children) == 5


def test_a_trace_of_unpriced_model_calls_is_listed_as_unpriced_not_zero():
    """A real model served by a local server: its calls carry tokens but no price."""
    rng = random.Random(5)
    trace_id, span_id = rng.randbytes(16), rng.randbytes(8)
    call = make_span(
        trace_id,
        span_id,
        "chat openai/gpt-4o-mini",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "openai/gpt-4o-mini",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 20,
            "workbench.cost.unpriced": True,
        },
        start_ns=JAN_1,
    )
    db = connect()
    with db.conn:
        write_spans(db, normalize_request(make_request([call], service="local-agent")).rows)
    db.conn.close()
    runner = CliRunner()
    (item,) = json.loads(runner.invoke(cli, ["traces", "list", "--json"]).output)
    assert (item["cost_usd"], item["unpriced_calls"]) == (0, 1)
    table = runner.invoke(cli, ["traces", "list"], env={"COLUMNS": "200"}).output
    assert "unpriced" in table and "$0" not in table
    shown = runner.invoke(cli, ["traces", "show", trace_id.hex()], env={"COLUMNS": "200"})
    assert "unpriced" in shown.output and "$0" not in shown.output

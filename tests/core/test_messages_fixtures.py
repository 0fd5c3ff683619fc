"""Messages and tool calls from the real instrumentation libraries' OTLP exports.

The bytes under tests/fixtures/otlp/<convention>/ were recorded once from each
library (tools/record_otlp_fixtures.py): one turn against the mock, where the
first call gets a ``get_weather`` tool call and the second, after the tool's
result, the answer. They go through the real receiver, then out of the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from workbench import locations
from workbench.cli import cli
from workbench.cli.span_render import span_json
from workbench.core.collector import start_collector
from workbench.core.live import TraceReader
from workbench.core.messages import span_messages
from workbench.settings import get_settings
from workbench.store.db import connect
from workbench.store.telemetry import span_logs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "otlp"
CONVENTIONS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
QUESTION = "What is the weather in Paris?"
ANSWER = "It is 18°C and sunny in Paris."
ARGUMENTS = {"city": "Paris"}
# Where each library's messages are read from, for its tool-call reply (in, out).
SOURCES = {
    "genai-events": ("logs", "logs"),
    "genai-semconv": ("gen_ai.input.messages", "gen_ai.output.messages"),
    # litellm's gen_ai.output.messages of a tool-call reply is an empty assistant message.
    "litellm": ("gen_ai.input.messages", "traceloop"),
    # Not the catch-all input.value: the flattened messages.
    "openinference": ("openinference", "openinference"),
    "openllmetry": ("gen_ai.input.messages", "gen_ai.output.messages"),
    "openllmetry-legacy": ("traceloop", "traceloop"),
}


def test_every_recorded_convention_is_here():
    assert CONVENTIONS == [
        "genai-events",
        "genai-semconv",
        "litellm",
        "openinference",
        "openllmetry",
        "openllmetry-legacy",
    ]


def deliver(url: str, convention: str) -> None:
    """POST every recorded body to the path it was recorded from; each must be taken whole."""
    for path in sorted((FIXTURES / convention).glob("*.pb")):
        signal = path.name.split("-", 1)[0]
        response = httpx.post(
            f"{url}/v1/{signal}",
            content=path.read_bytes(),
            headers={"content-type": "application/x-protobuf"},
            trust_env=False,
        )
        assert response.status_code == 200, (path, response.content)
        assert b"rejected" not in response.content


@pytest.fixture(scope="module")
def homes() -> dict[str, Path]:
    """One workbench home per convention, filled through the receiver on first use."""
    return {}


@pytest.fixture(params=CONVENTIONS)
def recorded(request, homes, monkeypatch) -> str:
    """A home holding ``request.param``'s recording (delivered once per module)."""
    convention = request.param
    if convention not in homes:
        homes[convention] = locations.home()
        with start_collector(db_path=locations.db_path()) as server:
            deliver(server.url, convention)
    monkeypatch.setenv("WORKBENCH_HOME", str(homes[convention]))
    get_settings.cache_clear()
    return convention


def llm_spans(convention: str):
    """The two model calls of the turn, in order, each with its logs."""
    reader = TraceReader()
    db = connect()
    rows = db.execute(
        "SELECT trace_id, span_id FROM spans WHERE kind = 'llm' ORDER BY start_ns"
    ).fetchall()
    assert len(rows) == 2, (convention, rows)
    spans = [(reader.span(t, s), span_logs(db, t, s)) for t, s in rows]
    reader.close()
    return spans


def test_messages_and_tool_calls_of_each_convention(recorded):
    (first, first_logs), (second, second_logs) = llm_spans(recorded)

    asked = span_messages(first.attributes, first.events, first_logs)
    assert (asked.input_source, asked.output_source) == SOURCES[recorded]
    assert [m.content for m in asked.inputs if m.role == "user"] == [QUESTION]
    (reply,) = asked.outputs
    assert reply.role == "assistant" and reply.content == ""
    (call,) = reply.tool_calls
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == ARGUMENTS

    answered = span_messages(second.attributes, second.events, second_logs)
    roles = [m.role for m in answered.inputs]
    assert roles[-3:] == ["user", "assistant", "tool"]
    assistant, tool = answered.inputs[-2:]
    assert [(c.name, json.loads(c.arguments)) for c in assistant.tool_calls] == [
        ("get_weather", ARGUMENTS)
    ]
    assert json.loads(tool.content) == {"city": "Paris", "temp_c": 18, "sky": "sunny"}
    assert tool.tool_call_id == assistant.tool_calls[0].id or assistant.tool_calls[0].id is None
    assert tool.tool_call_id and tool.tool_call_id.startswith("call_")
    assert [(m.role, m.content) for m in answered.outputs] == [("assistant", ANSWER)]
    if recorded != "genai-semconv":  # util-genai records no system instructions here
        assert roles[0] == "system"


def test_the_span_detail_renders_them(recorded):
    from workbench.tui.widgets.span_detail import span_markup

    (first, first_logs), (second, second_logs) = llm_spans(recorded)
    asked = span_markup(first, first_logs)
    assert "Messages out" in asked
    assert '→ get_weather[/]({"city": "Paris"})' in asked
    answered = span_markup(second, second_logs)
    assert f"[b]assistant[/]: {ANSWER}" in answered
    assert "[b]tool[/] [$text-muted](call_" in answered
    for markup in (asked, answered):
        assert "{'" not in markup.split("Attributes")[0]  # never Python dict text


def test_the_cli_renders_a_span(recorded):
    (first, _), _ = llm_spans(recorded)
    runner = CliRunner()
    shown = runner.invoke(cli, ["traces", "show", first.trace_id, "--span", first.span_id[:6]])
    assert shown.exit_code == 0, shown.output
    assert "Messages out" in shown.output
    assert '→ get_weather({"city": "Paris"})' in shown.output
    as_json = runner.invoke(
        cli, ["traces", "show", first.trace_id, "--span", first.span_id, "--json"]
    )
    data = json.loads(as_json.output)
    (call,) = data["messages"]["outputs"][0]["tool_calls"]
    assert call["name"] == "get_weather"


def test_logs_of_the_events_convention_sit_on_their_spans():
    with start_collector(db_path=locations.db_path()) as server:
        deliver(server.url, "genai-events")
    (first, logs), _ = llm_spans("genai-events")
    assert [record.event_name for record in logs] == [
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.choice",
    ]
    found = span_messages(first.attributes, first.events, logs)
    assert found.input_source == found.output_source == "logs"
    # Without its logs the span has no messages: they are what the detail shows.
    assert not span_messages(first.attributes, first.events, []).outputs
    rendered = json.dumps(span_json(first, logs))
    assert "gen_ai.choice" in rendered
    whole = CliRunner().invoke(cli, ["traces", "show", first.trace_id, "--json"])
    assert [log["event_name"] for log in json.loads(whole.output)["logs"]] == [
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.choice",
    ]


def test_metrics_of_a_recording_are_totalled_once_however_often_re_exported():
    with start_collector(db_path=locations.db_path()) as server:
        deliver(server.url, "openllmetry")
    result = CliRunner().invoke(cli, ["traces", "metrics", "--json"])
    assert result.exit_code == 0, result.output
    rows = {(row["name"], row["token_type"]): row for row in json.loads(result.output)}
    usage_in = rows[("gen_ai.client.token.usage", "input")]
    # Two calls (61 + 111 prompt tokens), exported twice cumulatively: counted once.
    assert (usage_in["count"], usage_in["total"]) == (2, 172)
    assert rows[("gen_ai.client.operation.duration", None)]["count"] == 2


def test_the_metrics_table_groups_by_project_in_readable_units():
    with start_collector(db_path=locations.db_path()) as server:
        deliver(server.url, "litellm")
    result = CliRunner().invoke(cli, ["traces", "metrics"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == [
        "weather-agent-litellm",
        "(gen_ai.*",
        "metrics)",
    ]
    usage = [line for line in result.output.splitlines() if "token.usage" in line]
    assert [line.split()[2:5] for line in usage] == [["input", "2", "172"], ["output", "2", "19"]]
    (cost,) = [line for line in result.output.splitlines() if "usage.cost" in line]
    assert "$0.000037" in cost


def test_the_metrics_table_never_cuts_a_figure_on_a_narrow_terminal():
    with start_collector(db_path=locations.db_path()) as server:
        deliver(server.url, "litellm")
    result = CliRunner().invoke(cli, ["traces", "metrics"], env={"COLUMNS": "72"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    (cost,) = [line for line in result.output.splitlines() if "$0.000037" in line]
    assert "$0.000019" in cost and "$0.000015" in cost and "$0.000023" in cost

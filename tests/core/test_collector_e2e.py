"""End to end: the real OpenTelemetry SDK exports to the collector; the CLI lists the trace."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from workbench import locations
from workbench.cli import cli
from workbench.core.collector import collector_running, ensure_collector, start_collector
from workbench.core.serving import free_port
from workbench.errors import WorkbenchError


def send_turn(endpoint: str, *, batch: bool) -> str:
    """Emit one agent turn with GenAI attributes through the OTel SDK; return its trace id."""
    provider = TracerProvider(resource=Resource.create({"service.name": "support-agent"}))
    exporter = OTLPSpanExporter(endpoint=endpoint)
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "invoke_agent support", attributes={"gen_ai.operation.name": "invoke_agent"}
    ) as agent:
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 812,
                "gen_ai.usage.output_tokens": 64,
            },
        ):
            pass
        with tracer.start_as_current_span(
            "execute_tool lookup_order",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup_order",
            },
        ) as tool:
            tool.set_status(Status(StatusCode.ERROR, "order service down"))
        trace_id = format(agent.get_span_context().trace_id, "032x")
    provider.force_flush()
    provider.shutdown()
    return trace_id


@pytest.mark.parametrize("batch", [False, True], ids=["simple", "batch"])
def test_sdk_spans_show_up_in_traces_list(batch):
    with start_collector(db_path=locations.db_path()) as server:
        trace_id = send_turn(f"{server.url}/v1/traces", batch=batch)
    runner = CliRunner()
    result = runner.invoke(cli, ["traces", "list", "--json"])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert item["trace_id"] == trace_id
    assert item["name"] == "invoke_agent support"
    assert item["project"] == "support-agent"
    assert (item["input_tokens"], item["output_tokens"]) == (812, 64)
    assert item["cost_usd"] > 0
    assert item["span_count"] == 3
    assert item["status"] == "error"
    assert item["models"] == ["gpt-4o-mini"]

    shown = runner.invoke(cli, ["traces", "show", trace_id[:10], "--json"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    kinds = {span["name"]: span["kind"] for span in detail["spans"]}
    assert kinds == {
        "invoke_agent support": "agent",
        "chat gpt-4o-mini": "llm",
        "execute_tool lookup_order": "tool",
    }
    tool = next(span for span in detail["spans"] if span["kind"] == "tool")
    assert tool["status"] == "error" and tool["status_message"] == "order service down"
    assert tool["attributes"]["gen_ai.tool.name"] == "lookup_order"


def test_ensure_collector_starts_one_only_when_none_answers():
    port = free_port()
    started = ensure_collector("127.0.0.1", port)
    assert started is not None
    try:
        assert collector_running("127.0.0.1", port)
        assert ensure_collector("127.0.0.1", port) is None
    finally:
        started.stop()
    assert not collector_running("127.0.0.1", port)


def test_ensure_collector_refuses_a_port_held_by_something_else():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(WorkbenchError, match="not a workbench collector"):
            ensure_collector("127.0.0.1", port)

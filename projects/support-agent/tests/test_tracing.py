"""Traces: one span per agent run, LLM call, tool call and guardrail check, exported over OTLP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from support_agent.agents.entry import flush_traces, run_turn
from support_agent.infra import tracing


async def test_span_tree_and_genai_attributes(model, spans):
    model.add(model.tool("lookup_order", order_id="12345"), "It was delivered.")
    result = await run_turn(
        {
            "input": "Where is order 12345?",
            "session_id": "sess-42",
            "prompt_version": "v2",
            "span_attributes": {"workbench.variant": "candidate", "workbench.model_source": "mock"},
        }
    )
    agent = spans.one("invoke_agent")
    everything = spans.all()
    assert {format(s.context.trace_id, "032x") for s in everything} == {result["trace_id"]}
    tool = spans.one("execute_tool lookup_order")
    for span in everything:
        if span is agent:
            assert span.parent is None
        elif span.name == "guardrail tool_policy":
            assert span.parent.span_id == tool.context.span_id
        else:
            assert span.parent.span_id == agent.context.span_id, span.name
    for span in everything:
        assert span.attributes["workbench.variant"] == "candidate"
        assert span.attributes["workbench.model_source"] == "mock"
        assert span.attributes["gen_ai.conversation.id"] == "sess-42"
        assert span.attributes["workbench.prompt_version"] == "v2"
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "support-agent"
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "lookup_order"
    assert '"12345"' in tool.attributes["gen_ai.tool.call.arguments"]
    assert '"delivered"' in tool.attributes["gen_ai.tool.call.result"]
    assert len(spans.named("chat ")) == 2


async def test_the_agent_span_carries_the_redacted_message_and_reply(model, spans, configure):
    model.add("Your card 4111 1111 1111 1111 is on file.")
    await run_turn(
        {"input": "Hello, my email is ada@example.com, key sk-proj-abcdefghijklmnop1234"}
    )
    agent = spans.one("invoke_agent")
    asked = json.loads(agent.attributes["gen_ai.input.messages"])
    replied = json.loads(agent.attributes["gen_ai.output.messages"])
    assert asked[0]["role"] == "user" and "Hello" in asked[0]["parts"][0]["content"]
    assert "ada@example.com" not in agent.attributes["gen_ai.input.messages"]
    assert "sk-proj-abcdefghijklmnop1234" not in agent.attributes["gen_ai.input.messages"]
    assert replied[0]["role"] == "assistant"
    assert "4111 1111 1111 1111" not in agent.attributes["gen_ai.output.messages"]
    spans.exporter.clear()
    configure(trace_content=False)
    model.add("Hi.")
    await run_turn({"input": "Hello again"})
    agent = spans.one("invoke_agent")
    assert "gen_ai.input.messages" not in agent.attributes
    assert "gen_ai.output.messages" not in agent.attributes


def test_traces_endpoint():
    assert tracing.traces_endpoint(None) is None
    assert tracing.traces_endpoint("http://127.0.0.1:4318/") == "http://127.0.0.1:4318/v1/traces"
    assert tracing.traces_endpoint("http://c:4318/v1/traces") == "http://c:4318/v1/traces"


class _Collector(BaseHTTPRequestHandler):
    received: list[ExportTraceServiceRequest] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        self.received.append(message)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


async def test_the_trace_is_exported_before_run_turn_returns(model, configure):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        configure(otel_endpoint=f"http://127.0.0.1:{server.server_port}")
        tracing.set_provider(None)
        model.add("Hello!")
        result = await run_turn({"input": "Hi"})
    finally:
        server.shutdown()
    names, services = set(), set()
    for message in _Collector.received:
        for resource_spans in message.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    services.add(attribute.value.string_value)
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    if span.trace_id.hex() == result["trace_id"]:
                        names.add(span.name)
    assert services == {"support-agent"}
    assert "invoke_agent support-agent" in names
    assert "chat gpt-4o-mini" in names


class _SlowExporter(SpanExporter):
    """Takes 30 ms per export, like a collector that commits before it answers."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def export(self, spans) -> SpanExportResult:
        time.sleep(0.03)
        self.batches.append([span.name for span in spans])
        return SpanExportResult.SUCCESS

    def exported(self) -> set[str]:
        return {name for batch in self.batches for name in batch}


async def test_concurrent_turns_share_exports_and_each_waits_for_its_own_spans():
    exporter = _SlowExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    tracing.set_provider(provider)
    missing = []

    async def turn(index: int) -> None:
        await asyncio.sleep(0.01 * (index % 4))
        with tracing.span(f"turn {index}"):
            pass
        await tracing.flush_async()
        if f"turn {index}" not in exporter.exported():
            missing.append(index)

    impatient = asyncio.create_task(turn(99))
    await asyncio.sleep(0)
    impatient.cancel()  # a cancelled turn must not cancel the export the others wait for
    await asyncio.gather(*(turn(index) for index in range(12)))
    provider.shutdown()
    assert missing == []
    assert 1 <= len(exporter.batches) < 12


async def test_a_turn_asked_not_to_wait_leaves_its_spans_to_the_exporter(model):
    exporter = _SlowExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    tracing.set_provider(provider)
    model.add("Hello!", "Hello again!")
    await run_turn({"input": "Hi"})
    waited = exporter.exported()
    assert any(name.startswith("invoke_agent") for name in waited)  # the contract's default
    exporter.batches.clear()
    await run_turn({"input": "Hi again", "wait_for_trace": False})
    assert exporter.exported() == set()  # it returned before its spans were exported
    flush_traces()  # what the workbench calls before the process exits
    assert any(name.startswith("invoke_agent") for name in exporter.exported())
    provider.shutdown()


async def test_the_event_loop_keeps_running_while_spans_export():
    exporter = _SlowExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    tracing.set_provider(provider)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    with tracing.span("one"):
        pass
    await tracing.flush_async()
    task.cancel()
    provider.shutdown()
    assert exporter.exported() == {"one"}
    assert ticks >= 2


def test_a_local_collector_is_reached_without_proxy_lookups(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert tracing._export_session("http://127.0.0.1:4318/v1/traces").trust_env is False
    assert tracing._export_session("https://otel.example.com/v1/traces").trust_env is True

"""Traces: one span per agent run, LLM call, tool call and guardrail check, exported over OTLP."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from support_agent.agents.entry import run_turn
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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

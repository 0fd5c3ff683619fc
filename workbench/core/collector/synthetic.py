"""Building OTLP export requests in code: realistic GenAI agent turns for tests and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status


def any_value(value: Any) -> AnyValue:
    """An OTLP AnyValue for a Python value."""
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, Mapping):
        result = AnyValue()
        result.kvlist_value.values.extend(key_values(value))
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        result = AnyValue()
        result.array_value.values.extend(any_value(item) for item in value)
        return result
    return AnyValue(string_value=str(value))


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    """OTLP KeyValues for a dict."""
    return [KeyValue(key=key, value=any_value(value)) for key, value in attributes.items()]


def make_span(
    trace_id: bytes,
    span_id: bytes,
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    parent_id: bytes = b"",
    start_ns: int = 1_700_000_000_000_000_000,
    duration_ns: int = 1_000_000,
    status: int = 0,
    message: str = "",
    events: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> Span:
    """One OTLP span."""
    span = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + duration_ns,
        status=Status(code=Status.StatusCode.ValueType(status), message=message),
    )
    span.attributes.extend(key_values(attributes or {}))
    for event_name, event_attributes in events:
        event = span.events.add(name=event_name, time_unix_nano=start_ns)
        event.attributes.extend(key_values(event_attributes))
    return span


def make_request(
    spans: Sequence[Span],
    *,
    service: str = "demo",
    resource: Mapping[str, Any] | None = None,
    scope: str = "workbench.synthetic",
) -> ExportTraceServiceRequest:
    """An export request holding ``spans`` under one resource and scope."""
    resource_spans = ResourceSpans()
    resource_spans.resource.attributes.extend(
        key_values({"service.name": service, **(resource or {})})
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return ExportTraceServiceRequest(resource_spans=[resource_spans])


_QUESTIONS = (
    "Help me return order 12345",
    "Where is my parcel?",
    "Can I change the delivery address for order 99812?",
    "I was charged twice, please refund one payment",
)


def agent_turn(rng: random.Random, *, start_ns: int, model: str = "gpt-4o-mini") -> list[Span]:
    """The spans of one agent turn: agent, guardrail, two LLM calls, two tool calls."""
    trace_id = rng.randbytes(16)
    ids = [rng.randbytes(8) for _ in range(6)]
    question = rng.choice(_QUESTIONS)
    session = f"session-{rng.randrange(1000)}"
    common = {
        "gen_ai.conversation.id": session,
        "workbench.variant": rng.choice(("baseline", "concise")),
        "workbench.prompt_version": "v2",
        "workbench.model_source": "mock",
    }
    llm = {
        **common,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.finish_reasons": ["tool_calls"],
    }
    spans = [
        make_span(
            trace_id,
            ids[0],
            "invoke_agent support",
            {**common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"},
            start_ns=start_ns,
            duration_ns=900_000_000,
        ),
        make_span(
            trace_id,
            ids[1],
            "guardrail pii",
            {
                **common,
                "gen_ai.operation.name": "guardrail",
                "workbench.guardrail.name": "pii",
                "workbench.guardrail.verdict": "pass",
            },
            parent_id=ids[0],
            start_ns=start_ns + 1_000_000,
            duration_ns=2_000_000,
        ),
    ]
    offset = 5_000_000
    for index, tool in enumerate(("lookup_order", "check_return_eligibility")):
        input_tokens = rng.randrange(300, 1500)
        spans.append(
            make_span(
                trace_id,
                ids[2 + 2 * index],
                f"chat {model}",
                {
                    **llm,
                    "gen_ai.usage.input_tokens": input_tokens,
                    "gen_ai.usage.output_tokens": rng.randrange(20, 300),
                    "gen_ai.usage.cache_read.input_tokens": input_tokens // 4,
                    "gen_ai.input.messages": f'[{{"role":"user","content":"{question}"}}]',
                },
                parent_id=ids[0],
                start_ns=start_ns + offset,
                duration_ns=300_000_000,
            )
        )
        spans.append(
            make_span(
                trace_id,
                ids[3 + 2 * index],
                f"execute_tool {tool}",
                {
                    **common,
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": tool,
                    "gen_ai.tool.call.arguments": '{"order_id": "12345"}',
                    "gen_ai.tool.call.result": '{"status": "delivered", "eligible": true}',
                },
                parent_id=ids[0],
                start_ns=start_ns + offset + 310_000_000,
                duration_ns=20_000_000,
            )
        )
        offset += 340_000_000
    return spans

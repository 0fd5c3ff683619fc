"""Tracing for adopted agents in a runner child: one root span per turn, and what it cost.

Foreign code brings its own instrumentation (OpenInference, OpenLLMetry, OTel GenAI)
or none. The child makes sure a tracer provider exports to the workbench's collector
(``OTEL_EXPORTER_OTLP_ENDPOINT``, set by the runner), wraps each turn in an
``invoke_agent`` span so the instrumentation's spans share one trace, tags every span
of the turn with the workbench's ``span_attributes`` (``workbench.model_source`` keeps
mock spend apart from real money), and totals the turn's tokens, cost and tool calls
from the spans as they end, with the collector's own alias tables and pricing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider


@dataclass
class TurnTotals:
    """What one turn's spans add up to."""

    attributes: dict[str, Any]
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    steps: int = 0
    model: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    def usage(self) -> dict[str, Any]:
        """The turn result's ``usage``."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 10),
        }


class TurnRecorder(SpanProcessor):
    """Tags the spans of open turns with their attributes and totals them as they end."""

    def __init__(self) -> None:
        self._turns: dict[int, TurnTotals] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, trace_id: int, attributes: dict[str, Any]) -> Iterator[TurnTotals]:
        """Record the spans of ``trace_id`` until the block ends."""
        totals = TurnTotals(attributes=attributes)
        with self._lock:
            self._turns[trace_id] = totals
        try:
            yield totals
        finally:
            with self._lock:
                self._turns.pop(trace_id, None)

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        """Give a span of an open turn the turn's workbench attributes."""
        totals = self._turns.get(span.get_span_context().trace_id)
        if totals is not None:
            for key, value in totals.attributes.items():
                if span.attributes is None or key not in span.attributes:
                    span.set_attribute(key, value)

    def on_end(self, span: ReadableSpan) -> None:
        """Add an LLM span's tokens and cost, or a tool span's call, to its turn."""
        context = span.get_span_context()
        totals = self._turns.get(context.trace_id) if context is not None else None
        if totals is None:
            return
        from workbench.core.collector import aliases

        attributes = dict(span.attributes or {})
        kind = aliases.span_kind(attributes)
        with self._lock:
            if kind == "llm":
                _add_llm(totals, attributes)
            elif kind == "tool":
                totals.tool_calls.append(_tool_call(span, attributes))

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered here."""
        return True


def _add_llm(totals: TurnTotals, attributes: dict[str, Any]) -> None:
    from workbench.core.collector import aliases

    model = aliases.first(attributes, aliases.MODEL_KEYS)
    tokens_in = aliases.as_int(aliases.first(attributes, aliases.INPUT_KEYS)) or 0
    tokens_out = aliases.as_int(aliases.first(attributes, aliases.OUTPUT_KEYS)) or 0
    cached = aliases.as_int(aliases.first(attributes, aliases.CACHED_KEYS)) or 0
    cost = aliases.span_cost(
        attributes, str(model) if model else None, tokens_in, tokens_out, cached, None
    )
    totals.steps += 1
    totals.input_tokens += tokens_in
    totals.output_tokens += tokens_out
    totals.cost_usd += cost or 0.0
    if model:
        totals.model = str(model)


def _tool_call(span: ReadableSpan, attributes: dict[str, Any]) -> dict[str, Any]:
    from workbench.core.collector import aliases

    raw = attributes.get("gen_ai.tool.call.arguments", attributes.get("input.value"))
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        arguments = raw
    ok = span.status.status_code != trace.StatusCode.ERROR
    return {
        "name": str(aliases.first(attributes, aliases.TOOL_KEYS) or span.name),
        "arguments": arguments if arguments is not None else {},
        "status": "ok" if ok else "error",
        "result": attributes.get("gen_ai.tool.call.result", attributes.get("output.value")),
    }


def install(service_name: str) -> tuple[trace.TracerProvider, TurnRecorder | None]:
    """The tracer provider turns use, with a ``TurnRecorder`` on it where it takes one.

    The project's own SDK provider (set when its module was imported) is kept; without
    one, a provider exporting over OTLP/HTTP to the runner's endpoint is installed, so
    instrumentation that only called ``instrument()`` exports to the workbench.
    """
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        recorder = TurnRecorder()
        current.add_span_processor(recorder)
        return current, recorder
    return current, None


def flush(provider: trace.TracerProvider) -> None:
    """Export what the turn produced, so its trace is complete when the turn returns."""
    force_flush = getattr(provider, "force_flush", None)
    if callable(force_flush):
        force_flush()

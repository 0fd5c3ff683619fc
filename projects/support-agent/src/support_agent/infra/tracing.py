"""OpenTelemetry tracing with the GenAI semantic conventions, exported over OTLP/HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode, Tracer

from .settings import get_settings

# Attribute names (OpenTelemetry GenAI semantic conventions, plus the workbench's own).
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHED_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
CONVERSATION_ID = "gen_ai.conversation.id"
AGENT_NAME = "gen_ai.agent.name"
PROMPT_VERSION = "workbench.prompt_version"
MODEL_SOURCE = "workbench.model_source"
COST_USD = "workbench.cost_usd"
GUARDRAIL_NAME = "workbench.guardrail.name"
GUARDRAIL_VERDICT = "workbench.guardrail.verdict"
GUARDRAIL_REASON = "workbench.guardrail.reason"
RETRY_ATTEMPT = "workbench.retry.attempt"
FALLBACK_FROM = "workbench.fallback.from"

# Attributes copied onto every span of the current turn (prompt version, session, variant, ...).
TURN_ATTRIBUTES: ContextVar[Mapping[str, Any] | None] = ContextVar("turn_attributes", default=None)


class TurnAttributesProcessor(SpanProcessor):
    """Stamps the turn's common attributes on each span as it starts."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Copy the current turn's attributes onto `span`."""
        attributes = TURN_ATTRIBUTES.get()
        if attributes:
            span.set_attributes(dict(attributes))

    def on_end(self, span: ReadableSpan) -> None:
        """Nothing to do when a span ends."""

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered here."""
        return True


_provider: TracerProvider | None = None


def traces_endpoint(base: str | None) -> str | None:
    """The OTLP/HTTP traces URL for an `OTEL_EXPORTER_OTLP_ENDPOINT` base address."""
    if not base:
        return None
    base = base.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def build_provider() -> TracerProvider:
    """A tracer provider named after the project; it exports only when an endpoint is set."""
    settings = get_settings()
    provider = TracerProvider(resource=Resource.create({"service.name": settings.project.name}))
    provider.add_span_processor(TurnAttributesProcessor())
    endpoint = traces_endpoint(settings.otel_endpoint)
    if endpoint:
        # Imported here so a process without an endpoint never loads the exporter.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        timeout_s = settings.otel_export_timeout_s
        exporter = OTLPSpanExporter(endpoint=endpoint, timeout=timeout_s)
        provider.add_span_processor(
            BatchSpanProcessor(
                exporter, schedule_delay_millis=500, export_timeout_millis=int(timeout_s * 1000)
            )
        )
    return provider


def get_provider() -> TracerProvider:
    """The process's tracer provider, built on first use."""
    global _provider
    if _provider is None:
        _provider = build_provider()
    return _provider


def set_provider(provider: TracerProvider | None) -> None:
    """Replace the provider (tests install one with an in-memory exporter)."""
    global _provider
    _provider = provider


def get_tracer() -> Tracer:
    """The tracer for the agent's spans."""
    return get_provider().get_tracer(get_settings().project.package)


def flush(timeout_s: float | None = None) -> None:
    """Export every finished span now, so a turn's trace is complete when it returns."""
    timeout = timeout_s if timeout_s is not None else get_settings().otel_export_timeout_s + 1
    get_provider().force_flush(timeout_millis=int(timeout * 1000))


@contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A current span that records an escaping exception as an error."""
    with get_tracer().start_as_current_span(
        name,
        attributes=dict(attributes or {}),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as error:
            current.record_exception(error)
            current.set_status(Status(StatusCode.ERROR, one_line(error)))
            raise


def one_line(error: BaseException) -> str:
    """An error as a single short line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__

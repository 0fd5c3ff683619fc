"""OpenTelemetry tracing with the GenAI semantic conventions, exported over OTLP/HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

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
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
# Message text kept on a span (after PII redaction), like a tool call's result.
MAX_CONTENT_CHARS = 4000


def messages_attribute(role: str, text: str) -> str:
    """One message as a GenAI `gen_ai.input.messages`/`gen_ai.output.messages` value (JSON
    with text parts), cut to MAX_CONTENT_CHARS."""
    content = text if len(text) <= MAX_CONTENT_CHARS else text[: MAX_CONTENT_CHARS - 1] + "…"
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": content}]}])


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
        exporter = OTLPSpanExporter(
            endpoint=endpoint, timeout=timeout_s, session=_export_session(endpoint)
        )
        provider.add_span_processor(
            BatchSpanProcessor(
                exporter, schedule_delay_millis=500, export_timeout_millis=int(timeout_s * 1000)
            )
        )
    return provider


def _export_session(endpoint: str) -> Any:
    """A requests session for the exporter; a local collector skips the per-request proxy lookup.

    requests reads the proxy variables from the environment on every request; a collector
    on this machine is never reached through a proxy, so that lookup is only overhead.
    """
    import requests

    session = requests.Session()
    host = urlsplit(endpoint).hostname or ""
    session.trust_env = host not in ("127.0.0.1", "localhost", "::1")
    return session


def get_provider() -> TracerProvider:
    """The process's tracer provider, built on first use."""
    global _provider
    if _provider is None:
        _provider = build_provider()
    return _provider


def set_provider(provider: TracerProvider | None) -> None:
    """Replace the provider (tests install one with an in-memory exporter)."""
    global _provider, _tracer
    _provider, _tracer = provider, None


_tracer: tuple[TracerProvider, Tracer] | None = None


def get_tracer() -> Tracer:
    """The tracer for the agent's spans (one per provider)."""
    global _tracer
    provider = get_provider()
    if _tracer is None or _tracer[0] is not provider:
        _tracer = (provider, provider.get_tracer(get_settings().project.package))
    return _tracer[1]


def flush(timeout_s: float | None = None) -> None:
    """Export every finished span now (blocking; async code awaits `flush_async`)."""
    timeout = timeout_s if timeout_s is not None else get_settings().otel_export_timeout_s + 1
    get_provider().force_flush(timeout_millis=int(timeout * 1000))


def flush_started(timeout_s: float | None = None) -> None:
    """`flush`, once this process has built its tracer provider (before that, no span exists)."""
    if _provider is not None:
        flush(timeout_s)


class _FlushGroup:
    """Coalesces the flushes of concurrent turns: one export at a time, in a worker thread.

    A turn that asks while an export is running joins the next one, which starts as soon
    as the running one ends and carries the spans of every turn that joined it. So the
    event loop never blocks on the collector, and N turns ending together cost one request.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.next: asyncio.Future[None] | None = None
        self.running = False
        self.task: asyncio.Task[None] | None = None

    def request(self) -> asyncio.Future[None]:
        """The future of the next export to start; starts the exporting task if idle."""
        if self.next is None:
            self.next = self.loop.create_future()
            if not self.running:
                self.running = True
                self.task = self.loop.create_task(self._run())
        return self.next

    async def _run(self) -> None:
        try:
            while self.next is not None:
                done, self.next = self.next, None
                try:
                    # A failed export is logged by the SDK; a turn never fails because of it.
                    with contextlib.suppress(Exception):
                        await asyncio.to_thread(flush)
                finally:
                    if not done.done():
                        done.set_result(None)
        finally:
            self.running = False


_flush_group: _FlushGroup | None = None


async def flush_async(timeout_s: float | None = None) -> None:
    """Wait until every span that ended before this call is exported (or the export timed out)."""
    global _flush_group
    loop = asyncio.get_running_loop()
    if _flush_group is None or _flush_group.loop is not loop:
        _flush_group = _FlushGroup(loop)
    timeout = timeout_s if timeout_s is not None else get_settings().otel_export_timeout_s + 1
    # Shielded: a cancelled turn must not cancel the export other turns are waiting for.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(_flush_group.request()), timeout)


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

"""Typed views of stored traces: span rows, trace summaries, trace details and spend rollups."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SpanKind = Literal["agent", "llm", "tool", "guardrail", "other"]
SpanStatus = Literal["ok", "error", "unset"]
TraceStatus = Literal["ok", "error"]
SpendGroup = Literal["session", "variant", "model", "day", "month", "source"]


class SpanRecord(BaseModel):
    """One stored span with its canonical columns; ``attributes`` are the span's own."""

    trace_id: str
    span_id: str
    parent_id: str | None = None
    name: str
    kind: SpanKind = "other"
    service: str = ""
    model: str | None = None
    provider: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    status: SpanStatus = "unset"
    status_message: str | None = None
    start_ns: int
    end_ns: int
    duration_ms: float
    session_id: str | None = None
    variant: str | None = None
    prompt_version: str | None = None
    tool_name: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    # Attributes of the resource (process) that emitted the span, e.g. service.name.
    resource: dict[str, Any] = Field(default_factory=dict)
    # Span events: [{"name", "time_ns", "attributes"}].
    events: list[dict[str, Any]] = Field(default_factory=list)


class TraceSummary(BaseModel):
    """One trace's rolled-up figures, as listed newest first."""

    trace_id: str
    project: str
    name: str
    start_ns: int
    end_ns: int
    duration_ms: float
    status: TraceStatus
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    span_count: int = 0
    session_id: str | None = None
    variant: str | None = None
    models: list[str] = Field(default_factory=list)
    updated_ns: int = 0

    @property
    def cursor(self) -> tuple[int, str]:
        """The keyset-pagination cursor to pass as ``before`` for the next page."""
        return (self.start_ns, self.trace_id)


class TraceDetail(TraceSummary):
    """A trace with all its spans, ordered by start time."""

    spans: list[SpanRecord] = Field(default_factory=list)


class SpendRow(BaseModel):
    """Tokens, cost and trace count for one group (a session, variant, model, day or month)."""

    key: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    trace_count: int = 0

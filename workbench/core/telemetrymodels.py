"""Typed views of stored OTLP logs and GenAI metric totals."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LogRecord(BaseModel):
    """One stored log record; ``span_id`` ties it to the span it was emitted in."""

    trace_id: str | None = None
    span_id: str | None = None
    time_ns: int
    severity_number: int = 0
    severity_text: str | None = None
    # The event's name (gen_ai.user.message, gen_ai.choice, ...) when the record is an event.
    event_name: str | None = None
    body: Any = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    service: str = ""
    scope: str | None = None


class MetricSummary(BaseModel):
    """A GenAI metric's totals for one project, model, operation and token type."""

    name: str
    unit: str | None = None
    project: str
    model: str | None = None
    operation: str | None = None
    token_type: str | None = None
    count: int = 0  # measurements (histograms); 0 for sums
    total: float = 0.0  # the sum of the measurements (or a sum's value)
    min: float | None = None
    max: float | None = None
    start_ns: int = 0
    end_ns: int = 0

    @property
    def mean(self) -> float | None:
        """The mean measurement, when the metric counts them."""
        return self.total / self.count if self.count else None

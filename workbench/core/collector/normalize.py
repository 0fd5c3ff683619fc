"""Turning OTLP spans into canonical rows: kind, model, tokens and cost, from every alias family.

Pure functions over the official protobuf messages; the receiver and the tests
call ``normalize_request`` and get rows in ``SPAN_COLUMNS`` order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from workbench.core.collector.aliases import (
    CACHED_SLOT,
    INPUT_SLOT,
    MODEL_SLOT,
    OUTPUT_SLOT,
    PROVIDER_SLOT,
    SESSION_SLOT,
    TOOL_SLOT,
    as_int,
    attributes_dict,
    scan_attributes,
    span_cost,
    span_kind,
)
from workbench.core.collector.staging import StagedSpans
from workbench.core.config import PricingOverride
from workbench.store.schema.spans import SPAN_COLUMNS

OverridesFor = Callable[[str], dict[str, PricingOverride] | None]

# SQLite integers are signed 64-bit; one larger value would fail its whole batch.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_STATUS = ("unset", "ok", "error")


# orjson, not json: it is ten times faster, and JSON encoding is a large share of ingest time.
def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


@dataclass
class Normalized:
    """The rows of one export request, the traces they touch, and what was rejected.

    A decode worker sends the rows as one ``staged`` image instead (``rows`` is then empty).
    """

    rows: list[tuple] = field(default_factory=list)
    trace_ids: set[str] = field(default_factory=set)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    staged: StagedSpans | None = None

    @property
    def span_count(self) -> int:
        """How many span rows there are to store."""
        return self.staged.count if self.staged is not None else len(self.rows)

    def writer_items(self) -> Sequence[tuple | StagedSpans]:
        """What to hand the writer: the staged image, or the row tuples."""
        return [self.staged] if self.staged is not None else self.rows

    @property
    def error_message(self) -> str:
        """A short message for OTLP's ``partial_success.error_message``."""
        if not self.rejected:
            return ""
        shown = "; ".join(self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"rejected {self.rejected} span(s): {shown}{more}"


def _events(span) -> tuple[str | None, str | None]:
    """The events as JSON (None when there are none) and an exception message, if any."""
    if not span.events:
        return None, None
    events = []
    exception = None
    for event in span.events:
        attributes = attributes_dict(event.attributes)
        if event.name == "exception" and exception is None:
            exception = attributes.get("exception.message") or attributes.get("exception.type")
        events.append(
            {"name": event.name, "time_ns": event.time_unix_nano, "attributes": attributes}
        )
    return _dumps(events), exception


class ImpossibleValue(ValueError):
    """A span carries a value no real call can have (a negative token count or cost)."""


def _check_usage(tokens: dict[str, int | None], cost: float | None) -> None:
    """Reject negative token counts and negative or non-finite costs."""
    for name, count in tokens.items():
        if count is not None and count < 0:
            raise ImpossibleValue(f"negative {name} token count ({count})")
    if cost is not None and not (math.isfinite(cost) and cost >= 0):
        raise ImpossibleValue(f"impossible cost ({cost})")


def _invalid_ids(trace_id: bytes, span_id: bytes, parent: bytes) -> str | None:
    if len(trace_id) != 16 or trace_id == _ZERO_TRACE:
        return "invalid trace_id (need 16 bytes, not all zero)"
    if len(span_id) != 8 or span_id == _ZERO_SPAN:
        return "invalid span_id (need 8 bytes, not all zero)"
    if parent and len(parent) != 8:
        return "invalid parent_span_id (need 8 bytes)"
    return None


def normalize_request(request, overrides_for: OverridesFor | None = None) -> Normalized:
    """Rows (in ``SPAN_COLUMNS`` order) for every valid span of an ExportTraceServiceRequest."""
    out = Normalized()
    rows, trace_ids = out.rows, out.trace_ids
    for resource_spans in request.resource_spans:
        resource = attributes_dict(resource_spans.resource.attributes)
        service = str(resource.get("service.name") or "unknown_service")
        resource_json = _dumps(resource)
        overrides = overrides_for(service) if overrides_for else None
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name or None
            for span in scope_spans.spans:
                trace_id, span_id, parent = span.trace_id, span.span_id, span.parent_span_id
                problem = _invalid_ids(trace_id, span_id, parent)
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if problem is None and (start > _INT64_MAX or end > _INT64_MAX):
                    problem = "start or end time out of range (after the year 2262)"
                if problem:
                    out.rejected += 1
                    out.errors.append(f"span {span.name!r}: {problem}")
                    continue
                hex_trace = trace_id.hex()
                try:
                    row = _row(
                        span,
                        hex_trace,
                        span_id.hex(),
                        parent.hex() if parent and parent != _ZERO_SPAN else None,
                        start,
                        end,
                        service,
                        scope,
                        resource_json,
                        overrides,
                    )
                except ImpossibleValue as impossible:
                    out.rejected += 1
                    out.errors.append(f"span {span.name!r}: {impossible}")
                    continue
                rows.append(row)
                trace_ids.add(hex_trace)
    return out


def _row(
    span,
    trace_id: str,
    span_id: str,
    parent_id: str | None,
    start: int,
    end: int,
    service: str,
    scope: str | None,
    resource_json: str,
    overrides,
) -> tuple:
    attributes, found = scan_attributes(span.attributes)
    get = attributes.get
    kind = span_kind(attributes)
    model = _str(found[MODEL_SLOT])
    input_tokens = _count(found[INPUT_SLOT])
    output_tokens = _count(found[OUTPUT_SLOT])
    cached_tokens = _count(found[CACHED_SLOT])
    cost = span_cost(attributes, model, input_tokens, output_tokens, cached_tokens, overrides)
    # The common case (no count below zero, a finite cost) is tested without building the dict.
    if (
        (input_tokens or 0) < 0
        or (output_tokens or 0) < 0
        or (cached_tokens or 0) < 0
        or (cost is not None and not (cost >= 0 and math.isfinite(cost)))
    ):
        tokens = {"input": input_tokens, "output": output_tokens, "cached": cached_tokens}
        _check_usage(tokens, cost)
    tool_name = found[TOOL_SLOT]
    if tool_name is None and kind == "tool":
        tool_name = get("traceloop.entity.name")
    events = span.events
    events_json, exception = _events(span) if events else (None, None)
    span_status = span.status
    code = span_status.code
    status = _STATUS[code] if 0 <= code < 3 else "unset"
    message = span_status.message or None
    if status == "error" and not message:
        message = exception or get("error.type")
    if end < start:
        end = start
    return (
        trace_id,
        span_id,
        parent_id,
        span.name or "(unnamed)",
        kind,
        service,
        scope,
        model,
        _str(found[PROVIDER_SLOT]),
        input_tokens,
        output_tokens,
        cached_tokens,
        cost,
        status,
        message,
        start,
        end,
        (end - start) / 1e6,
        _str(found[SESSION_SLOT]),
        _str(get("workbench.variant")),
        _str(get("workbench.prompt_version")),
        _str(get("workbench.model_source")),
        _str(tool_name),
        _dumps(attributes),
        resource_json,
        events_json,
    )


def _str(value: Any) -> str | None:
    return value if value is None or value.__class__ is str else str(value)


def _count(value: Any) -> int | None:
    """``as_int`` with the common case (a plain int within SQLite's range) done inline."""
    if value.__class__ is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    return as_int(value)


def row_dict(row: tuple) -> dict[str, Any]:
    """A row tuple as a dict keyed by column name (for tests and debugging)."""
    return dict(zip(SPAN_COLUMNS, row, strict=True))

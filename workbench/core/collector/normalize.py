"""Turning OTLP spans into canonical rows: kind, model, tokens and cost, from every alias family.

Pure functions over the official protobuf messages; the receiver and the tests
call ``normalize_request`` and get rows in ``SPAN_COLUMNS`` order.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.core.config import PricingOverride
from workbench.core.pricing import cost_usd
from workbench.store.schema.spans import SPAN_COLUMNS

OverridesFor = Callable[[str], dict[str, PricingOverride] | None]

# SQLite integers are signed 64-bit; one larger value would fail its whole batch.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
_STATUS = ("unset", "ok", "error")
try:  # orjson is ten times faster, and JSON encoding is a large share of ingest time
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value, default=str).decode()

except ImportError:  # pragma: no cover - orjson is a dependency; this is a safety net
    _dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

# Alias families, most specific first: current GenAI, older GenAI, OpenInference, Traceloop.
MODEL_KEYS = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
    "llm.request.model",
)
REQUEST_MODEL_KEYS = ("gen_ai.request.model", "llm.model_name", "llm.request.model")
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
INPUT_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "llm.usage.prompt_tokens",
)
OUTPUT_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "llm.usage.completion_tokens",
)
CACHED_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
COST_KEYS = ("workbench.cost_usd", "gen_ai.usage.cost", "llm.cost.total", "gen_ai.cost.total")
SESSION_KEYS = (
    "gen_ai.conversation.id",
    "session.id",
    "workbench.session_id",
    "traceloop.association.properties.session_id",
)
TOOL_KEYS = ("gen_ai.tool.name", "tool.name")

# Canonical fields found while the attributes are read, in one pass: key -> (slot, rank).
_SLOTS = (
    MODEL_KEYS,
    PROVIDER_KEYS,
    INPUT_KEYS,
    OUTPUT_KEYS,
    CACHED_KEYS,
    COST_KEYS,
    SESSION_KEYS,
    TOOL_KEYS,
)
_MODEL, _PROVIDER, _INPUT, _OUTPUT, _CACHED, _COST, _SESSION, _TOOL = range(len(_SLOTS))
_ALIASES = {key: (slot, rank) for slot, keys in enumerate(_SLOTS) for rank, key in enumerate(keys)}

_LLM_OPERATIONS = {"chat", "text_completion", "embeddings", "generate_content", "completion"}
_TOOL_OPERATIONS = {"execute_tool"}
_AGENT_OPERATIONS = {"invoke_agent", "create_agent"}
_OPENINFERENCE_KINDS = {
    "LLM": "llm",
    "EMBEDDING": "llm",
    "TOOL": "tool",
    "AGENT": "agent",
    "GUARDRAIL": "guardrail",
}
_TRACELOOP_KINDS = {"workflow": "agent", "agent": "agent", "tool": "tool", "task": "other"}
_TRACELOOP_LLM_TYPES = {"chat", "completion", "embedding", "rerank"}


@dataclass
class Normalized:
    """The rows of one export request, the traces they touch, and what was rejected."""

    rows: list[tuple] = field(default_factory=list)
    trace_ids: set[str] = field(default_factory=set)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def error_message(self) -> str:
        """A short message for OTLP's ``partial_success.error_message``."""
        if not self.rejected:
            return ""
        shown = "; ".join(self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"rejected {self.rejected} span(s): {shown}{more}"


def any_value(value) -> Any:
    """A Python value for an OTLP ``AnyValue``."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_dict(value.kvlist_value.values)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def attributes_dict(key_values: Iterable) -> dict[str, Any]:
    """A dict for a list of OTLP ``KeyValue``s."""
    result: dict[str, Any] = {}
    for kv in key_values:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "string_value":
            result[kv.key] = value.string_value
        elif kind in ("int_value", "double_value", "bool_value"):
            result[kv.key] = getattr(value, kind)
        else:
            result[kv.key] = any_value(value)
    return result


def scan_attributes(key_values: Iterable) -> tuple[dict[str, Any], list[Any]]:
    """The attributes as a dict, and the canonical fields' values (most specific alias wins)."""
    result: dict[str, Any] = {}
    found: list[Any] = [None] * len(_SLOTS)
    ranks = [99] * len(_SLOTS)
    aliases = _ALIASES
    for kv in key_values:
        key = kv.key
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "string_value":
            item = value.string_value
        elif kind in ("int_value", "double_value", "bool_value"):
            item = getattr(value, kind)
        else:
            item = any_value(value)
        result[key] = item
        hit = aliases.get(key)
        if hit is not None and item is not None and hit[1] < ranks[hit[0]]:
            found[hit[0]] = item
            ranks[hit[0]] = hit[1]
    return result, found


def first(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` present (and not None) in ``attributes``."""
    for key in keys:
        value = attributes.get(key)
        if value is not None:
            return value
    return None


def as_int(value: Any) -> int | None:
    """An integer token count from an attribute value, or None (also when SQLite cannot hold it)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            number = int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def as_float(value: Any) -> float | None:
    """A float from an attribute value, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def span_kind(attributes: dict[str, Any]) -> str:
    """agent / llm / tool / guardrail / other, from whichever convention the span follows."""
    operation = _hashable(attributes.get("gen_ai.operation.name"))
    openinference = _hashable(attributes.get("openinference.span.kind"))
    if isinstance(openinference, str):
        openinference = openinference.upper()
    if (
        operation == "guardrail"
        or "workbench.guardrail.name" in attributes
        or openinference == "GUARDRAIL"
    ):
        return "guardrail"
    if operation in _LLM_OPERATIONS:
        return "llm"
    if operation in _TOOL_OPERATIONS:
        return "tool"
    if operation in _AGENT_OPERATIONS:
        return "agent"
    if openinference:
        return _OPENINFERENCE_KINDS.get(openinference, "other")
    traceloop = attributes.get("traceloop.span.kind")
    if traceloop:
        return _TRACELOOP_KINDS.get(str(traceloop).lower(), "other")
    if _hashable(attributes.get("llm.request.type")) in _TRACELOOP_LLM_TYPES:
        return "llm"
    if first(attributes, MODEL_KEYS) and first(attributes, INPUT_KEYS) is not None:
        return "llm"
    if first(attributes, TOOL_KEYS):
        return "tool"
    return "other"


def span_cost(
    attributes: dict[str, Any],
    model: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    cached_tokens: int | None,
    overrides: dict[str, PricingOverride] | None,
) -> float | None:
    """A replayed call is free; a carried cost wins; else price the tokens."""
    if attributes.get("workbench.model_source") == "replay":
        return 0.0
    carried = as_float(first(attributes, COST_KEYS))
    if carried is not None:
        return carried
    if not model or (not input_tokens and not output_tokens):
        return None
    cost = cost_usd(model, input_tokens or 0, output_tokens or 0, cached_tokens or 0, overrides)
    if cost is None:
        request_model = first(attributes, REQUEST_MODEL_KEYS)
        if request_model and request_model != model:
            cost = cost_usd(
                str(request_model),
                input_tokens or 0,
                output_tokens or 0,
                cached_tokens or 0,
                overrides,
            )
    return cost


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
                rows.append(
                    _row(
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
                )
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
    model = found[_MODEL]
    model = str(model) if model is not None else None
    provider = found[_PROVIDER]
    input_tokens = as_int(found[_INPUT])
    output_tokens = as_int(found[_OUTPUT])
    cached_tokens = as_int(found[_CACHED])
    cost = span_cost(attributes, model, input_tokens, output_tokens, cached_tokens, overrides)
    tool_name = found[_TOOL]
    if tool_name is None and kind == "tool":
        tool_name = get("traceloop.entity.name")
    session = found[_SESSION]
    events_json, exception = _events(span) if span.events else (None, None)
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
        str(provider) if provider is not None else None,
        input_tokens,
        output_tokens,
        cached_tokens,
        cost,
        status,
        message,
        start,
        end,
        (end - start) / 1e6,
        str(session) if session is not None else None,
        _str(get("workbench.variant")),
        _str(get("workbench.prompt_version")),
        _str(get("workbench.model_source")),
        str(tool_name) if tool_name is not None else None,
        _dumps(attributes),
        resource_json,
        events_json,
    )


def _hashable(value: Any) -> Any:
    """Lists and maps are legal attribute values but cannot be looked up in a set or dict."""
    return str(value) if isinstance(value, list | dict) else value


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def row_dict(row: tuple) -> dict[str, Any]:
    """A row tuple as a dict keyed by column name (for tests and debugging)."""
    return dict(zip(SPAN_COLUMNS, row, strict=True))

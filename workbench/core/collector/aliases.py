"""Reading OTLP attributes: the alias families mapped onto canonical fields, kind and cost.

Current and older OpenTelemetry GenAI names, OpenInference and Traceloop, most
specific first; pure functions over the official protobuf messages.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from workbench.core.config import PricingOverride
from workbench.core.pricing import cost_usd

# SQLite integers are signed 64-bit; one larger value would fail its whole batch.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

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
UNPRICED = "workbench.cost.unpriced"
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
(
    MODEL_SLOT,
    PROVIDER_SLOT,
    INPUT_SLOT,
    OUTPUT_SLOT,
    CACHED_SLOT,
    COST_SLOT,
    SESSION_SLOT,
    TOOL_SLOT,
) = range(len(_SLOTS))
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
        # Most values are non-empty strings: one field read tells them apart, where
        # WhichOneof and a second read cost twice that (this loop is most of ingest's decode).
        item = value.string_value
        if not item:
            item = _not_string(value)
        result[key] = item
        hit = aliases.get(key)
        if hit is not None and item is not None and hit[1] < ranks[hit[0]]:
            found[hit[0]] = item
            ranks[hit[0]] = hit[1]
    return result, found


def _not_string(value) -> Any:
    """The Python value of an ``AnyValue`` whose string value reads empty."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return ""
    if kind in ("int_value", "double_value", "bool_value"):
        return getattr(value, kind)
    return any_value(value)


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
    """A replayed call is free; a carried cost wins; else price the tokens.

    A span marked ``workbench.cost.unpriced`` (a model served at another host than its
    provider's, e.g. a local server echoing ``gpt-4o-mini``) is priced only by the project's
    ``[pricing]``: the provider's price list does not apply to it.
    """
    if attributes.get("workbench.model_source") == "replay":
        return 0.0
    carried = as_float(first(attributes, COST_KEYS))
    if carried is not None:
        return carried
    if not model or (not input_tokens and not output_tokens):
        return None
    listed = attributes.get(UNPRICED) is not True
    cost = cost_usd(
        model, input_tokens or 0, output_tokens or 0, cached_tokens or 0, overrides, listed=listed
    )
    if cost is None:
        request_model = first(attributes, REQUEST_MODEL_KEYS)
        if request_model and request_model != model:
            cost = cost_usd(
                str(request_model),
                input_tokens or 0,
                output_tokens or 0,
                cached_tokens or 0,
                overrides,
                listed=listed,
            )
    return cost


def _hashable(value: Any) -> Any:
    """Lists and maps are legal attribute values but cannot be looked up in a set or dict."""
    return str(value) if isinstance(value, list | dict) else value

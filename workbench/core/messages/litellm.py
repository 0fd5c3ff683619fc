"""litellm's ``otel`` callback: the raw request span (``raw_gen_ai_request``).

Beside its ``litellm_request`` span (GenAI attributes, read by ``genai`` and, for
tool-call replies, ``traceloop``'s ``gen_ai.completion.N.function_call.*``),
litellm records the provider's raw request and response as
``llm.<provider>.messages`` and ``llm.<provider>.choices``, written as Python
literals (``str(list)``), which ``shapes.parse_json`` reads as data.
"""

from __future__ import annotations

from typing import Any

from workbench.core.messages.model import ChatMessage
from workbench.core.messages.shapes import messages_of


def _raw(attributes: dict[str, Any], field: str) -> Any:
    for key, value in attributes.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "llm" and parts[2] == field:
            return value
    return None


def raw_inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The raw request's messages (``llm.<provider>.messages``)."""
    value = _raw(attributes, "messages")
    return messages_of(value, "user") if value else []


def raw_outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The raw response's choices (``llm.<provider>.choices``)."""
    value = _raw(attributes, "choices")
    return messages_of(value, "assistant") if value else []

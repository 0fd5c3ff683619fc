"""OpenInference: ``llm.input_messages.N.message.*`` / ``llm.output_messages.N.message.*``.

Each message has ``role``, ``content`` (or ``contents.M.message_content.text``),
``name``, ``tool_call_id`` and ``tool_calls.K.tool_call.{id, function.name,
function.arguments}``. The whole request and response also sit in the catch-all
``input.value`` / ``output.value``; those are read only when no message is flattened.
"""

from __future__ import annotations

from typing import Any

from workbench.core.messages.flat import unflatten
from workbench.core.messages.model import ChatMessage
from workbench.core.messages.shapes import message_of, messages_of


def _message(item: dict[str, Any], default_role: str) -> ChatMessage:
    inner = item.get("message")
    message: dict[str, Any] = inner if isinstance(inner, dict) else item
    data: dict[str, Any] = {
        "role": message.get("role") or default_role,
        "tool_call_id": message.get("tool_call_id"),
    }
    content = message.get("content")
    contents = message.get("contents")
    if content is None and isinstance(contents, list):
        content = [
            (entry.get("message_content") or {}) for entry in contents if isinstance(entry, dict)
        ]
    data["content"] = content
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        data["tool_calls"] = [
            call.get("tool_call", call) for call in calls if isinstance(call, dict)
        ]
    return message_of(data, default_role)


def inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The flattened input messages."""
    return [_message(item, "user") for item in unflatten(attributes, "llm.input_messages")]


def outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The flattened output messages."""
    return [_message(item, "assistant") for item in unflatten(attributes, "llm.output_messages")]


def value_inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The catch-all ``input.value``: a request's messages, or text said by the user."""
    return _value(attributes, "input", "user")


def value_outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The catch-all ``output.value``: a response's choices, or text said by the assistant."""
    return _value(attributes, "output", "assistant")


def _value(attributes: dict[str, Any], direction: str, role: str) -> list[ChatMessage]:
    value = attributes.get(f"{direction}.value")
    if value is None or value == "":
        return []
    return messages_of(value, role)

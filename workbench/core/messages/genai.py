"""OpenTelemetry GenAI semantic conventions: message attributes and events (span events or logs).

Current: ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (JSON lists of
messages made of ``parts``) and ``gen_ai.system_instructions``, on the span or on a
``gen_ai.client.inference.operation.details`` event. Older: the events
``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.assistant.message``,
``gen_ai.tool.message`` and ``gen_ai.choice`` (body ``{content, tool_calls, id}`` or
``{index, finish_reason, message}``), and ``gen_ai.content.prompt`` /
``gen_ai.content.completion`` (attributes ``gen_ai.prompt`` / ``gen_ai.completion``,
or, from litellm's ``otel`` callback, the message as the log's body); and
``gen_ai.prompt`` / ``gen_ai.completion`` attributes holding JSON message lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.core.messages.model import ChatMessage
from workbench.core.messages.shapes import message_of, messages_of, text_of

# (event name, attributes, body): a span event (no body) or a log record.
Event = tuple[str | None, dict[str, Any], Any]

_ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """``gen_ai.system_instructions`` then ``gen_ai.input.messages``."""
    messages = messages_of(attributes.get("gen_ai.input.messages"), "user")
    if not messages:
        return []
    system = text_of(attributes.get("gen_ai.system_instructions"))
    return ([ChatMessage(role="system", content=system)] if system else []) + messages


def outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """``gen_ai.output.messages``."""
    return messages_of(attributes.get("gen_ai.output.messages"), "assistant")


def legacy_inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """An older ``gen_ai.prompt`` attribute holding the messages as JSON (or text)."""
    value = attributes.get("gen_ai.prompt")
    return messages_of(value, "user") if isinstance(value, str) and value else []


def legacy_outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """An older ``gen_ai.completion`` attribute holding the reply as JSON (or text)."""
    value = attributes.get("gen_ai.completion")
    return messages_of(value, "assistant") if isinstance(value, str) and value else []


def event_messages(events: Iterable[Event]) -> tuple[list[ChatMessage], list[ChatMessage]]:
    """The messages in and out that a span's events (or its logs) carry, in order."""
    ins: list[ChatMessage] = []
    outs: list[ChatMessage] = []
    for name, attributes, body in events:
        if not name:
            continue
        if name in _ROLE_EVENTS:
            payload = body if body is not None else attributes
            message = message_of(payload, _ROLE_EVENTS[name])
            if _ROLE_EVENTS[name] == "tool" and not message.tool_call_id:
                call_id = payload.get("id") if isinstance(payload, dict) else None
                message.tool_call_id = str(call_id) if call_id else None
            if isinstance(payload, dict) and "role" not in payload:
                message.role = _ROLE_EVENTS[name]
            ins.append(message)
        elif name == "gen_ai.choice":
            outs.append(message_of(body if body is not None else attributes, "assistant"))
        elif name == "gen_ai.content.prompt":
            if body is not None:
                ins.append(message_of(body, "user"))
            else:
                ins.extend(messages_of(attributes.get("gen_ai.prompt"), "user"))
        elif name == "gen_ai.content.completion":
            if body is not None:
                outs.append(message_of(body, "assistant"))
            else:
                outs.extend(messages_of(attributes.get("gen_ai.completion"), "assistant"))
        elif name == DETAILS_EVENT:
            source = body if isinstance(body, dict) and body else attributes
            ins.extend(inputs(source))
            outs.extend(outputs(source))
    return ins, outs

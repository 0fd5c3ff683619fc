"""OpenLLMetry / Traceloop: ``gen_ai.prompt.N.*`` and ``gen_ai.completion.N.*`` attributes.

Each message has ``role``, ``content`` (text, or JSON of content parts),
``tool_call_id``, ``tool_calls.K.{id, name, arguments}`` and, from older
releases and litellm's ``otel`` callback, ``function_call.{name, arguments}``.
Workflow spans carry ``traceloop.entity.input`` / ``traceloop.entity.output``.
"""

from __future__ import annotations

from typing import Any

from workbench.core.messages.flat import unflatten
from workbench.core.messages.model import ChatMessage
from workbench.core.messages.shapes import message_of, messages_of


def inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The flattened prompt messages."""
    return [message_of(item, "user") for item in unflatten(attributes, "gen_ai.prompt")]


def outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """The flattened completion messages."""
    return [message_of(item, "assistant") for item in unflatten(attributes, "gen_ai.completion")]


def entity_inputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """A workflow or task span's ``traceloop.entity.input``."""
    return _entity(attributes.get("traceloop.entity.input"), "user")


def entity_outputs(attributes: dict[str, Any]) -> list[ChatMessage]:
    """A workflow or task span's ``traceloop.entity.output``."""
    return _entity(attributes.get("traceloop.entity.output"), "assistant")


def _entity(value: Any, role: str) -> list[ChatMessage]:
    if value is None or value == "":
        return []
    return messages_of(value, role)

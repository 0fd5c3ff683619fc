"""Choosing, per direction, the convention that recorded a span's messages.

Sources are tried most specific first; the first that yields a message with text
or tool calls wins, so an empty list (litellm's ``gen_ai.output.messages`` of a
tool-call reply has no parts) falls through to the next (its
``gen_ai.completion.0.function_call.*``), and the catch-all ``input.value`` is read
only when no convention spelled the messages out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from workbench.core.messages import genai, litellm, openinference, traceloop
from workbench.core.messages.model import ChatMessage, SpanMessages
from workbench.core.messages.shapes import substantive

Reader = Callable[[dict[str, Any]], list[ChatMessage]]

_INPUTS: tuple[tuple[str, Reader], ...] = (
    ("gen_ai.input.messages", genai.inputs),
    ("openinference", openinference.inputs),
    ("traceloop", traceloop.inputs),
    ("gen_ai.prompt", genai.legacy_inputs),
)
_OUTPUTS: tuple[tuple[str, Reader], ...] = (
    ("gen_ai.output.messages", genai.outputs),
    ("openinference", openinference.outputs),
    ("traceloop", traceloop.outputs),
    ("gen_ai.completion", genai.legacy_outputs),
)
_CATCH_ALL_INPUTS: tuple[tuple[str, Reader], ...] = (
    ("input.value", openinference.value_inputs),
    ("traceloop.entity.input", traceloop.entity_inputs),
    ("litellm raw request", litellm.raw_inputs),
)
_CATCH_ALL_OUTPUTS: tuple[tuple[str, Reader], ...] = (
    ("output.value", openinference.value_outputs),
    ("traceloop.entity.output", traceloop.entity_outputs),
    ("litellm raw response", litellm.raw_outputs),
)


class LogLike(Protocol):
    """What is read of a log record: its event name, attributes and body."""

    event_name: str | None
    attributes: dict[str, Any]
    body: Any


def span_messages(
    attributes: dict[str, Any],
    events: Iterable[Any] | None = (),
    logs: Iterable[LogLike] | None = (),
) -> SpanMessages:
    """The messages into and out of a span, from its attributes, span events and logs."""
    found = SpanMessages()
    found.inputs, found.input_source = _first(attributes, _INPUTS)
    found.outputs, found.output_source = _first(attributes, _OUTPUTS)
    if found.output_source == "gen_ai.output.messages":
        _add_flat_tool_calls(found.outputs, traceloop.outputs(attributes))
    if found.input_source is None or found.output_source is None:
        for label, items in (
            ("events", _span_events(events or ())),
            ("logs", _log_events(logs or ())),
        ):
            ins, outs = genai.event_messages(items)
            if found.input_source is None and substantive(ins):
                found.inputs, found.input_source = ins, label
            if found.output_source is None and substantive(outs):
                found.outputs, found.output_source = outs, label
    if found.input_source is None:
        found.inputs, found.input_source = _first(attributes, _CATCH_ALL_INPUTS)
    if found.output_source is None:
        found.outputs, found.output_source = _first(attributes, _CATCH_ALL_OUTPUTS)
    return found


def _first(
    attributes: dict[str, Any], readers: tuple[tuple[str, Reader], ...]
) -> tuple[list[ChatMessage], str | None]:
    for label, read in readers:
        messages = read(attributes)
        if substantive(messages):
            return messages, label
    return [], None


def _add_flat_tool_calls(messages: list[ChatMessage], flat: list[ChatMessage]) -> None:
    """Give each reply without tool calls those of the same index in ``gen_ai.completion.N``.

    litellm writes a reply's text to ``gen_ai.output.messages`` but its tool calls
    only to ``gen_ai.completion.N.function_call.*``; a reply with both would lose them.
    """
    for message, other in zip(messages, flat, strict=False):
        if not message.tool_calls and other.tool_calls:
            message.tool_calls = list(other.tool_calls)


def _span_events(events: Iterable[Any]) -> list[genai.Event]:
    """Stored span events (``{"name", "time_ns", "attributes"}``); anything else is skipped."""
    return [
        (event.get("name"), event.get("attributes") or {}, None)
        for event in events
        if isinstance(event, dict)
    ]


def _log_events(logs: Iterable[LogLike]) -> list[genai.Event]:
    return [(log.event_name, log.attributes or {}, log.body) for log in logs]

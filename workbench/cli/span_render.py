"""One span for the terminal and as JSON: messages, tool calls, logs (``traces show --span``)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console, Group
from rich.text import Text

from workbench.cli.trace_render import format_start, span_label
from workbench.core.figures import json_text
from workbench.core.messages import ChatMessage, SpanMessages, span_messages
from workbench.core.messages.shapes import parse_json
from workbench.core.telemetrymodels import LogRecord
from workbench.core.tracemodels import SpanRecord, TraceDetail
from workbench.errors import NotFound

_TOOL_KEYS = ("gen_ai.tool.call.arguments", "gen_ai.tool.call.result")


def message_text(message: ChatMessage) -> Text:
    """One message: role (and the call a tool reply answers), text, then each tool call."""
    text = Text(message.role or "-", style="bold")
    if message.tool_call_id:
        text.append(f" ({message.tool_call_id})", style="dim")
    text.append(": ")
    text.append(message.content)
    for call in message.tool_calls:
        text.append("\n  → ", style="cyan")
        text.append(call.name, style="bold cyan")
        text.append(f"({call.arguments})")
        if call.id:
            text.append(f" {call.id}", style="dim")
    return text


def log_text(record: LogRecord) -> Text:
    """One log record on one line: time, severity, event name and body."""
    text = Text(format_start(record.time_ns), style="dim")
    if record.severity_text:
        style = (
            "red"
            if record.severity_number >= 17
            else "yellow"
            if record.severity_number >= 13
            else ""
        )
        text.append(f" {record.severity_text}", style=style)
    if record.event_name:
        text.append(f" {record.event_name}", style="bold")
    body = record.body
    if body is not None:
        shown = body if isinstance(body, str) else json_text(body, indent=None)
        text.append(f" {shown}")
    return text


def render_span(span: SpanRecord, logs: list[LogRecord]) -> Group:
    """The span's label, its messages in and out, tool arguments and result, and its logs."""
    parts: list[Any] = [span_label(span), Text(f"span {span.span_id}", style="dim")]
    found = span_messages(span.attributes, span.events, logs)
    for title, messages in (("Messages in", found.inputs), ("Messages out", found.outputs)):
        if messages:
            parts.append(Text(f"\n{title}", style="bold magenta"))
            parts.extend(message_text(message) for message in messages)
    tool = [key for key in _TOOL_KEYS if key in span.attributes]
    if tool:
        parts.append(Text(f"\nTool {span.tool_name or ''}".rstrip(), style="bold magenta"))
        for key in tool:
            value = parse_json(span.attributes[key])
            shown = value if isinstance(value, str) else json_text(value)
            parts.append(Text(f"{key.rsplit('.', 1)[-1]}: {shown}"))
    if logs:
        parts.append(Text(f"\nLogs ({len(logs)})", style="bold magenta"))
        parts.extend(log_text(record) for record in logs)
    return Group(*parts)


def span_json(span: SpanRecord, logs: list[LogRecord]) -> dict[str, Any]:
    """The span with its messages and logs, as ``traces show --span --json`` prints it."""
    found: SpanMessages = span_messages(span.attributes, span.events, logs)
    return {
        **span.model_dump(),
        "messages": found.model_dump(),
        "logs": [record.model_dump() for record in logs],
    }


def print_span(detail: TraceDetail, span_id: str, logs: list[LogRecord], *, as_json: bool) -> None:
    """Print the span of ``detail`` that ``span_id`` names (a unique prefix will do)."""
    wanted = span_id.strip().lower()
    matches = [span for span in detail.spans if span.span_id.startswith(wanted)] if wanted else []
    if len(matches) != 1:
        reason = "is ambiguous; give more digits" if matches else "is not in this trace"
        raise NotFound(f"span {span_id!r} {reason} (trace {detail.trace_id})")
    (span,) = matches
    own = [record for record in logs if record.span_id == span.span_id]
    if as_json:
        click.echo(json_text(span_json(span, own)))
        return
    Console().print(render_span(span, own))

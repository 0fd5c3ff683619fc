"""One span's detail pane: figures, errors, messages, tool calls, verdicts, logs, attributes."""

from __future__ import annotations

import json
from typing import Any

from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from workbench.cli.trace_render import format_cost, format_duration, format_start, unpriced
from workbench.core.figures import format_number, json_text
from workbench.core.messages import ChatMessage, span_messages
from workbench.core.messages.shapes import parse_json
from workbench.core.telemetrymodels import LogRecord
from workbench.core.trace_preview import one_line
from workbench.core.tracemodels import SpanRecord

_VERDICTS = {"pass": "$text-success", "block": "$text-error", "redact": "$text-warning"}


def _message_lines(message: ChatMessage) -> list[str]:
    """One message: its role (and the call it answers), its text, then each tool call."""
    answers = f" [$text-muted]({escape(message.tool_call_id)})[/]" if message.tool_call_id else ""
    text = escape(message.content) if message.content else ""
    lines = [f"[b]{escape(message.role or '-')}[/]{answers}: {text}".rstrip()]
    for call in message.tool_calls:
        lines.append(
            f"  [$text-accent]→ {escape(call.name)}[/]({escape(call.arguments)})"
            + (f" [$text-muted]{escape(call.id)}[/]" if call.id else "")
        )
    return lines


def severity_colour(number: int) -> str:
    """The theme colour of an OTLP severity number: ERROR and FATAL (17+), WARN (13-16)."""
    if number >= 17:
        return "$text-error"
    return "$text-warning" if number >= 13 else "$text-muted"


def _log_line(record: LogRecord) -> str:
    """One log record: time, severity, event name and body on one line."""
    severity = record.severity_text or ""
    colour = severity_colour(record.severity_number)
    body = record.body
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    shown = one_line(text or "", 300) if body is not None else ""
    name = f"[b]{escape(record.event_name)}[/] " if record.event_name else ""
    stamp = format_start(record.time_ns)[11:] if record.time_ns else "-"
    level = f"[{colour}]{escape(severity)}[/] " if severity else ""
    return f"[$text-muted]{stamp}[/] {level}{name}{escape(shown)}"


def _pretty(value: Any) -> str:
    value = parse_json(value)
    if isinstance(value, dict | list):
        return json_text(value)
    return str(value)


def _section(title: str) -> str:
    return f"\n[b $text-primary]{title}[/]"


def span_markup(span: SpanRecord, logs: list[LogRecord] | None = None) -> str:
    """The whole pane as Textual markup (theme variables only); ``logs`` are the span's."""
    error = span.status == "error"
    lines = [
        f"[b{' $text-error' if error else ''}]{escape(span.name)}[/]  "
        f"[$text-muted]{span.kind} · {span.status}[/]",
        f"[$text-muted]span[/] {span.span_id}  [$text-muted]parent[/] {span.parent_id or '-'}",
        f"[$text-muted]started[/] {format_start(span.start_ns)}  "
        f"[$text-muted]duration[/] {format_duration(span.duration_ms)}",
    ]
    if span.model or span.provider:
        lines.append(f"[$text-muted]model[/] {escape(span.model or '-')} ({span.provider or '-'})")
    if span.input_tokens is not None or span.output_tokens is not None:
        cached = f" (cached {span.cached_tokens})" if span.cached_tokens else ""
        lines.append(
            f"[$text-muted]tokens[/] in {span.input_tokens or 0}{cached} / out "
            f"{span.output_tokens or 0}  [$text-muted]cost[/] [$text-success]"
            f"{'unpriced' if unpriced(span) else format_cost(span.cost_usd)}[/]"
        )
    context = [
        f"{name} {escape(str(value))}"
        for name, value in (
            ("session", span.session_id),
            ("variant", span.variant),
            ("prompt", span.prompt_version),
        )
        if value
    ]
    if context:
        lines.append("[$text-muted]" + "  ".join(context) + "[/]")
    attributes = span.attributes
    if error:
        lines.append(_section("Error"))
        lines.append(f"[$text-error]{escape(span.status_message or 'failed')}[/]")
    for event in span.events:
        if event.get("name") == "exception":
            attrs = event.get("attributes") or {}
            kind = escape(str(attrs.get("exception.type", "exception")))
            message = escape(str(attrs.get("exception.message", "")))
            lines.append(f"[$text-error]{kind}: {message}[/]")
    verdict = attributes.get("workbench.guardrail.verdict")
    if verdict is not None:
        lines.append(_section("Guardrail"))
        name = attributes.get("workbench.guardrail.name", "")
        colour = _VERDICTS.get(str(verdict), "$text-warning")
        lines.append(f"{escape(str(name))}: [b {colour}]{escape(str(verdict))}[/]")
        if attributes.get("workbench.guardrail.reason"):
            lines.append(f"[$text-muted]{escape(str(attributes['workbench.guardrail.reason']))}[/]")
    found = span_messages(attributes, span.events, logs)
    for title, messages in (("Messages in", found.inputs), ("Messages out", found.outputs)):
        if messages:
            lines.append(_section(title))
            for said in messages:
                lines.extend(_message_lines(said))
    if "gen_ai.tool.call.arguments" in attributes or "gen_ai.tool.call.result" in attributes:
        lines.append(_section(f"Tool {escape(str(span.tool_name or ''))}".rstrip()))
        if "gen_ai.tool.call.arguments" in attributes:
            lines.append("[$text-muted]arguments[/]")
            lines.append(escape(_pretty(attributes["gen_ai.tool.call.arguments"])))
        if "gen_ai.tool.call.result" in attributes:
            lines.append("[$text-muted]result[/]")
            lines.append(escape(_pretty(attributes["gen_ai.tool.call.result"])))
    others = [event for event in span.events if event.get("name") != "exception"]
    if others:
        lines.append(_section("Events"))
        for event in others:
            attrs = ", ".join(
                f"{k}={format_number(v)}" for k, v in (event.get("attributes") or {}).items()
            )
            lines.append(f"{escape(str(event.get('name')))} [$text-muted]{escape(attrs)}[/]")
    if logs:
        lines.append(_section(f"Logs ({len(logs)})"))
        lines.extend(_log_line(record) for record in logs)
    lines.append(_section("Attributes"))
    for key in sorted(attributes):
        value = attributes[key]
        shown = value if isinstance(value, str) else json_text(value, indent=None)
        if len(shown) > 300:
            shown = shown[:299] + "…"
        lines.append(f"[$text-muted]{escape(key)}[/] {escape(shown)}")
    return "\n".join(lines)


class SpanDetail(VerticalScroll):
    """Scrollable detail of the span ``show`` was last given."""

    DEFAULT_CSS = """
    SpanDetail {
        padding: 0 1;
        background: $surface;
        & > #span-detail-body { width: 1fr; }
    }
    """

    def compose(self):
        yield Static("No span selected.", id="span-detail-body")

    def show(self, span: SpanRecord | None, logs: list[LogRecord] | None = None) -> None:
        """Show ``span`` with its ``logs`` (or a placeholder) and scroll back to the top."""
        body = self.query_one("#span-detail-body", Static)
        body.update(span_markup(span, logs) if span is not None else "No span selected.")
        self.scroll_home(animate=False)

"""The detail pane of one span: figures, errors, messages, tool calls, verdicts, attributes."""

from __future__ import annotations

import json
import re
from typing import Any

from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from workbench.cli.trace_render import format_cost, format_duration, format_start, unpriced
from workbench.core.tracemodels import SpanRecord

_INPUT_KEYS = ("gen_ai.input.messages", "gen_ai.prompt", "input.value", "traceloop.entity.input")
_OUTPUT_KEYS = (
    "gen_ai.output.messages",
    "gen_ai.completion",
    "output.value",
    "traceloop.entity.output",
)
# Flattened message lists: OpenInference and Traceloop spread them over indexed keys.
_FLAT = (
    (re.compile(r"^llm\.input_messages\.(\d+)\.message\.(role|content)$"), "in"),
    (re.compile(r"^llm\.output_messages\.(\d+)\.message\.(role|content)$"), "out"),
    (re.compile(r"^gen_ai\.prompt\.(\d+)\.(role|content)$"), "in"),
    (re.compile(r"^gen_ai\.completion\.(\d+)\.(role|content)$"), "out"),
)
_VERDICTS = {"pass": "$text-success", "block": "$text-error", "redact": "$text-warning"}


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _message_text(message: Any) -> tuple[str, str]:
    if not isinstance(message, dict):
        return "", str(message)
    role = str(message.get("role", ""))
    content = message.get("content")
    if content is None and isinstance(message.get("parts"), list):
        content = "\n".join(
            str(part.get("content", part.get("text", part)))
            if isinstance(part, dict)
            else str(part)
            for part in message["parts"]
        )
    if content is None and message.get("tool_calls"):
        content = json.dumps(message["tool_calls"])
    return role, "" if content is None else str(content)


def span_messages(
    attributes: dict[str, Any],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The messages into and out of a span as ``(role, text)``, from whichever convention."""
    found: dict[str, list[tuple[str, str]]] = {"in": [], "out": []}
    for direction, keys in (("in", _INPUT_KEYS), ("out", _OUTPUT_KEYS)):
        for key in keys:
            if key in attributes:
                value = _parse(attributes[key])
                items = value if isinstance(value, list) else [value]
                found[direction] = [_message_text(item) for item in items]
                break
    flat: dict[tuple[str, int], dict[str, str]] = {}
    for key, value in attributes.items():
        for pattern, direction in _FLAT:
            match = pattern.match(key)
            if match:
                flat.setdefault((direction, int(match[1])), {})[match[2]] = str(value)
    from_json = {direction for direction, messages in found.items() if messages}
    for (direction, _), message in sorted(flat.items()):
        if direction not in from_json:
            found[direction].append((message.get("role", ""), message.get("content", "")))
    return found["in"], found["out"]


def _pretty(value: Any) -> str:
    value = _parse(value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def _section(title: str) -> str:
    return f"\n[b $text-primary]{title}[/]"


def span_markup(span: SpanRecord) -> str:
    """The whole pane as Textual markup (theme variables only)."""
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
    messages_in, messages_out = span_messages(attributes)
    for title, messages in (("Messages in", messages_in), ("Messages out", messages_out)):
        if messages:
            lines.append(_section(title))
            for role, text in messages:
                lines.append(f"[b]{escape(role or '-')}[/]: {escape(text)}")
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
            attrs = ", ".join(f"{k}={v}" for k, v in (event.get("attributes") or {}).items())
            lines.append(f"{escape(str(event.get('name')))} [$text-muted]{escape(attrs)}[/]")
    lines.append(_section("Attributes"))
    for key in sorted(attributes):
        value = attributes[key]
        shown = value if isinstance(value, str) else json.dumps(value)
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

    def show(self, span: SpanRecord | None) -> None:
        """Show ``span`` (or a placeholder) and scroll back to the top."""
        body = self.query_one("#span-detail-body", Static)
        body.update(span_markup(span) if span is not None else "No span selected.")
        self.scroll_home(animate=False)

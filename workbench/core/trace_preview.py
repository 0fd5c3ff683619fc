"""One-line previews of what went into a trace and what came out, from any tracing convention.

A trace's input is the last user message its agent (root) span records, else the
last user message of its first model call; its output is what the root span
records as output, else the last model call's reply. Each convention spells
these differently: GenAI semconv (``gen_ai.input.messages``, or events such as
``gen_ai.user.message``), OpenInference (``input.value``, ``llm.input_messages.N``),
OpenLLMetry/Traceloop (``gen_ai.prompt.N``, ``traceloop.entity.input``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

Direction = Literal["input", "output"]
PREVIEW_CHARS = 200

_KEYS: dict[Direction, tuple[str, ...]] = {
    "input": ("gen_ai.input.messages", "input.value", "traceloop.entity.input", "gen_ai.prompt"),
    "output": (
        "gen_ai.output.messages",
        "output.value",
        "traceloop.entity.output",
        "gen_ai.completion",
    ),
}
_FLAT: dict[Direction, tuple[re.Pattern[str], ...]] = {
    "input": (
        re.compile(r"^llm\.input_messages\.(\d+)\.message\.(role|content)$"),
        re.compile(r"^gen_ai\.prompt\.(\d+)\.(role|content)$"),
    ),
    "output": (
        re.compile(r"^llm\.output_messages\.(\d+)\.message\.(role|content)$"),
        re.compile(r"^gen_ai\.completion\.(\d+)\.(role|content)$"),
    ),
}
_EVENTS: dict[Direction, tuple[str, ...]] = {
    "input": ("gen_ai.user.message",),
    "output": ("gen_ai.choice", "gen_ai.assistant.message"),
}
_SPACE = re.compile(r"\s+")


def one_line(text: str, limit: int = PREVIEW_CHARS) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``limit`` characters."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _content(message: Any) -> str:
    """A message's text: ``content`` as a string or parts, else its tool calls by name."""
    if not isinstance(message, dict):
        return "" if message is None else str(message)
    content = message.get("content")
    if content is None:
        content = message.get("parts")
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict):
                texts.append(str(part.get("content") or part.get("text") or ""))
            else:
                texts.append(str(part))
        content = " ".join(text for text in texts if text)
    calls = message.get("tool_calls") or [
        part
        for part in message.get("parts") or []
        if isinstance(part, dict) and part.get("type") == "tool_call"
    ]
    if not content and isinstance(calls, list) and calls:
        names = [
            str((call.get("function") or {}).get("name") or call.get("name") or "?")
            for call in calls
            if isinstance(call, dict)
        ]
        return f"→ {', '.join(names)}"
    if content is None:
        # A promptfoo/Traceloop entity input ({"inputs": …}) or any other object.
        return json.dumps(message, ensure_ascii=False)
    return str(content)


def _pick(messages: list[Any], direction: Direction) -> str:
    if direction == "input":
        users = [m for m in messages if isinstance(m, dict) and m.get("role") in ("user", None)]
        chosen = users[-1] if users else (messages[-1] if messages else None)
    else:
        chosen = messages[-1] if messages else None
    return _content(chosen)


def preview(
    attributes: dict[str, Any],
    events: list[dict[str, Any]] | None,
    direction: Direction,
    limit: int = PREVIEW_CHARS,
) -> str:
    """The span's input (the last user message) or output (the reply) on one line, at most
    ``limit`` characters, or ``""``."""
    for key in _KEYS[direction]:
        if key in attributes:
            value = _parse(attributes[key])
            if isinstance(value, dict) and isinstance(value.get("messages"), list):
                value = value["messages"]
            elif isinstance(value, dict) and isinstance(value.get("choices"), list):
                # A chat completion (OpenInference's output.value): its choices' messages.
                value = [c.get("message") if isinstance(c, dict) else c for c in value["choices"]]
            text = _pick(value, direction) if isinstance(value, list) else _content(value)
            if text.strip():
                return one_line(text, limit)
    flat: dict[int, dict[str, str]] = {}
    for key, value in attributes.items():
        for pattern in _FLAT[direction]:
            match = pattern.match(key)
            if match:
                flat.setdefault(int(match[1]), {})[match[2]] = str(value)
    if flat:
        text = _pick([flat[index] for index in sorted(flat)], direction)
        if text.strip():
            return one_line(text, limit)
    for event in reversed(events or []):
        if event.get("name") in _EVENTS[direction]:
            attrs = event.get("attributes") or {}
            body = attrs.get("content") or attrs.get("message") or attrs.get("body")
            text = _content(_parse(body)) if body is not None else ""
            if text.strip():
                return one_line(text, limit)
    return ""

"""Reading the message shapes conventions share: OpenAI chat messages and GenAI ``parts``.

One reader takes both, and the hybrids instrumentations write (litellm puts
OpenAI ``tool_calls`` beside empty ``parts``): text from ``content`` (a string or
a list of parts) or ``parts``; tool calls from ``tool_call`` parts, OpenAI
``tool_calls`` (nested ``function`` or flat) and the older ``function_call``;
a tool's reply from ``tool_call_response`` parts or ``tool_call_id``.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from workbench.core.messages.model import ChatMessage, ToolCall

# Python literals are read (ast.literal_eval) only up to this size: their parser recurses.
_MAX_LITERAL = 100_000


def parse_json(value: Any) -> Any:
    """``value`` decoded when it is JSON text of an object or list (else unchanged).

    Some instrumentations write ``str(dict)`` instead of JSON; such Python literal
    text is read too (literals only, never code), so it never shows as dict text.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] not in ("[", "{"):
        return value
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if len(text) > _MAX_LITERAL:
        return value
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value
    return parsed if isinstance(parsed, dict | list) else value


def arguments_text(value: Any) -> str:
    """Tool-call arguments as JSON text (a mapping is encoded; text is kept as sent)."""
    if value is None:
        return ""
    if isinstance(value, str):
        parsed = parse_json(value)
        if isinstance(parsed, dict | list) and not _is_json(value):
            return json.dumps(parsed, ensure_ascii=False)
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def text_of(value: Any) -> str:
    """The text of a ``content``: a string, or the text parts of a list of parts."""
    value = parse_json(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for part in value:
            if isinstance(part, dict):
                if part.get("type") in ("tool_call", "tool_call_response", "function_call"):
                    continue
                text = _part_text(part)
                if text:
                    texts.append(text)
            elif part is not None:
                texts.append(str(part))
        return "\n".join(texts)
    if isinstance(value, dict):
        text = _part_text(value)
        return text if text else json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _part_text(part: dict[str, Any]) -> str:
    for key in ("content", "text", "value"):
        value = part.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict | list):
            return text_of(value)
    if part.get("type") in ("image_url", "image", "blob", "uri", "file"):
        return f"[{part['type']}]"
    return ""


def tool_call_of(call: Any) -> ToolCall | None:
    """A ToolCall from an OpenAI tool call (nested ``function`` or flat) or a ``tool_call`` part."""
    call = parse_json(call)
    if not isinstance(call, dict):
        return None
    function = call.get("function")
    source = function if isinstance(function, dict) else call
    name = source.get("name")
    if not name:
        return None
    arguments = source.get("arguments", source.get("args", source.get("input")))
    call_id = call.get("id")
    return ToolCall(
        name=str(name),
        arguments=arguments_text(arguments),
        id=str(call_id) if call_id else None,
    )


def message_of(data: Any, default_role: str = "") -> ChatMessage:
    """A ChatMessage from any of the shared message shapes (text when it is not a mapping)."""
    data = parse_json(data)
    if not isinstance(data, dict):
        return ChatMessage(role=default_role, content="" if data is None else str(data))
    if isinstance(data.get("message"), dict) and "role" not in data:
        # A choice ({"index", "finish_reason", "message"}), as events and responses carry it.
        inner = message_of(data["message"], default_role)
        if data.get("finish_reason") and not inner.finish_reason:
            inner.finish_reason = str(data["finish_reason"])
        return inner
    role = str(data.get("role") or default_role)
    texts: list[str] = []
    calls: list[ToolCall] = []
    tool_call_id = data.get("tool_call_id")
    parts = data.get("parts")
    if isinstance(parts, list):
        for part in parts:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "tool_call":
                call = tool_call_of(part)
                if call:
                    calls.append(call)
            elif kind == "tool_call_response":
                response = part.get("response", part.get("result"))
                texts.append(_response_text(response))
                tool_call_id = tool_call_id or part.get("id")
            else:
                text = _part_text(part)
                if text:
                    texts.append(text)
    content = data.get("content")
    if content is not None:
        text = text_of(content)
        if text:
            texts.append(text)
        if isinstance(parse_json(content), list):
            calls.extend(c for c in map(tool_call_of, _tool_parts(content)) if c)
    for call in data.get("tool_calls") or []:
        parsed = tool_call_of(call)
        if parsed:
            calls.append(parsed)
    function_call = tool_call_of(data.get("function_call"))
    if function_call:
        calls.append(function_call)
    finish = data.get("finish_reason")
    return ChatMessage(
        role=role,
        content="\n".join(texts),
        tool_calls=calls,
        tool_call_id=str(tool_call_id) if tool_call_id else None,
        finish_reason=str(finish) if finish else None,
    )


def _response_text(response: Any) -> str:
    """A tool reply's text: text as sent, OpenAI text parts as their text, other data as JSON."""
    if isinstance(response, str):
        return response
    if (
        isinstance(response, list)
        and response
        and all(isinstance(p, dict) and p.get("type") == "text" for p in response)
    ):
        return text_of(response)
    return arguments_text(response)


def _tool_parts(content: Any) -> list[dict]:
    parsed = parse_json(content)
    if not isinstance(parsed, list):
        return []
    return [p for p in parsed if isinstance(p, dict) and p.get("type") == "tool_call"]


def messages_of(value: Any, default_role: str = "") -> list[ChatMessage]:
    """A list of ChatMessages from a message list (or one message, or a request/response body).

    A request body (``{"messages": [...]}``) gives its messages; a chat completion
    (``{"choices": [...]}``) gives its choices' messages.
    """
    value = parse_json(value)
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            value = value["messages"]
        elif isinstance(value.get("choices"), list):
            value = value["choices"]
            default_role = default_role or "assistant"
        else:
            value = [value]
    if not isinstance(value, list):
        return [message_of(value, default_role)] if value not in (None, "") else []
    return [message_of(item, default_role) for item in value]


def substantive(messages: list[ChatMessage]) -> bool:
    """Whether any message says anything: an empty list or empty messages fall through."""
    return any(message.substantive for message in messages)

"""OpenAI chat-completions wire format: response bodies, stream chunks and error bodies."""

from __future__ import annotations

import json
import re
import time
from typing import Any

_ERROR_TYPES = {
    400: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "service_unavailable",
}


def completion(
    *,
    id: str,
    model: str,
    message: dict,
    finish_reason: str,
    usage: dict,
    created: int | None = None,
) -> dict[str, Any]:
    """A ``chat.completion`` object with one choice."""
    return {
        "id": id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": usage,
        "system_fingerprint": "workbench-mock",
    }


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """An OpenAI-style error object."""
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code or kind}}


def _pieces(text: str, size: int) -> list[str]:
    words = re.findall(r"\S+\s*|\s+", text)
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)] or [""]


def stream_chunks(body: dict, *, include_usage: bool) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects that stream ``body`` (a chat.completion)."""
    choice = body["choices"][0]
    message = choice.get("message") or {}
    base = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body.get("created", int(time.time())),
        "model": body["model"],
        "system_fingerprint": body.get("system_fingerprint"),
    }

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if message.get("content"):
        chunks += [chunk({"content": piece}) for piece in _pieces(message["content"], 3)]
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        head = {
            "index": index,
            "id": call.get("id"),
            "type": "function",
            "function": {"name": function.get("name", ""), "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [head]}))
        arguments = function.get("arguments") or ""
        for start in range(0, len(arguments), 16):
            piece = {"index": index, "function": {"arguments": arguments[start : start + 16]}}
            chunks.append(chunk({"tool_calls": [piece]}))
    chunks.append(chunk({}, choice.get("finish_reason") or "stop"))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": body.get("usage")})
    return chunks


def sse(data: dict | str) -> bytes:
    """One server-sent event line carrying ``data``."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()

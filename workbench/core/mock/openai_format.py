"""OpenAI chat-completions wire format: response bodies and stream chunks."""

from __future__ import annotations

import json
import time
from typing import Any

from workbench.core.mock.sampling import pieces

ARGUMENT_PIECE = 16


def completion(
    *,
    id: str,
    model: str,
    choices: list[dict],
    usage: dict,
    fingerprint: str,
    created: int | None = None,
) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    return {
        "id": id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": choices,
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": fingerprint,
    }


def stream_chunks(body: dict, *, include_usage: bool) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects that stream ``body`` (a chat.completion)."""
    base = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body.get("created", int(time.time())),
        "model": body["model"],
        "system_fingerprint": body.get("system_fingerprint"),
    }
    if include_usage:
        base["usage"] = None
    chunks = []
    for choice in body["choices"]:
        chunks += _choice_chunks(base, choice)
    if include_usage:
        chunks.append({**base, "choices": [], "usage": body.get("usage")})
    return chunks


def _choice_chunks(base: dict, choice: dict) -> list[dict[str, Any]]:
    index = choice.get("index", 0)
    message = choice.get("message") or {}
    logprobs = (choice.get("logprobs") or {}).get("content")

    def chunk(delta: dict, finish: str | None = None, entries: list | None = None) -> dict:
        item: dict[str, Any] = {"index": index, "delta": delta, "finish_reason": finish}
        item["logprobs"] = {"content": entries, "refusal": None} if entries is not None else None
        return {**base, "choices": [item]}

    # The API opens a tool-call-only answer with content null, a text answer with "".
    opening = "" if message.get("content") is not None else None
    chunks = [chunk({"role": "assistant", "content": opening, "refusal": None})]
    if message.get("content"):
        texts = pieces(message["content"])
        groups = _grouped(logprobs, texts) if logprobs is not None else [None] * len(texts)
        chunks += [chunk({"content": t}, entries=g) for t, g in zip(texts, groups, strict=True)]
    for number, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        head = {
            "index": number,
            "id": call.get("id"),
            "type": "function",
            "function": {"name": function.get("name", ""), "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [head]}))
        arguments = function.get("arguments") or ""
        for start in range(0, len(arguments), ARGUMENT_PIECE):
            part = arguments[start : start + ARGUMENT_PIECE]
            chunks.append(
                chunk({"tool_calls": [{"index": number, "function": {"arguments": part}}]})
            )
    chunks.append(chunk({}, choice.get("finish_reason") or "stop"))
    return chunks


def _grouped(entries: list[dict], texts: list[str]) -> list[list[dict]]:
    """Split a choice's logprob entries over the streamed pieces, by the text they spell."""
    groups, at = [], 0
    for text in texts:
        group, spelt = [], ""
        while at < len(entries) and len(spelt) < len(text):
            spelt += entries[at]["token"]
            group.append(entries[at])
            at += 1
        groups.append(group)
    if at < len(entries) and groups:
        groups[-1] += entries[at:]
    return groups


def sse(data: dict | str) -> bytes:
    """One server-sent event line carrying ``data``."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def sse_event(event: str, data: dict) -> bytes:
    """One named server-sent event (the Responses API streams these)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

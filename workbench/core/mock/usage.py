"""Token counts for mock answers, from the "priced as" model's real tokenizer.

Counts are litellm's (``token_counter``); ``tokenizer`` gives them without importing litellm
for plain OpenAI models, and litellm is imported only for the rest.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.core.llm import import_litellm
from workbench.core.mock import tokenizer


def _plain_messages(messages: list[dict]) -> list[dict]:
    # litellm's counter understands role/content/tool_calls; drop anything else it may choke on.
    out = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        plain: dict[str, Any] = {"role": message.get("role", "user")}
        content = message.get("content")
        plain["content"] = content if isinstance(content, str | list) else ""
        if message.get("tool_calls"):
            plain["tool_calls"] = message["tool_calls"]
        if message.get("tool_call_id"):
            plain["tool_call_id"] = message["tool_call_id"]
        out.append(plain)
    return out


def prompt_tokens(model: str, body: dict) -> int:
    """Tokens in the request's messages and tool definitions."""
    messages = _plain_messages(body.get("messages") or [])
    tools = body.get("tools") or None
    counted = tokenizer.prompt_tokens(model, messages, tools)
    if counted is not None:
        return counted
    litellm = import_litellm()
    try:
        return int(litellm.token_counter(model=model, messages=messages, tools=tools))
    except Exception:  # an odd message shape must not fail the call; count it as text
        text = json.dumps({"messages": messages, "tools": tools}, ensure_ascii=False)
        return int(litellm.token_counter(model=model, text=text))


def completion_tokens(model: str, message: dict) -> int:
    """Tokens in an assistant message: its text plus each tool call's name and arguments."""
    parts = [message.get("content") or ""]
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        parts.append(function.get("name", ""))
        parts.append(function.get("arguments", ""))
    text = "\n".join(part for part in parts if part)
    counted = tokenizer.text_tokens(model, text)
    if counted is None:
        counted = import_litellm().token_counter(model=model, text=text, count_response_tokens=True)
    # Even an empty answer costs the end-of-message token a real model emits.
    return max(1, int(counted))


def usage_for(model: str, body: dict, message: dict, overrides: dict[str, int]) -> dict[str, Any]:
    """An OpenAI ``usage`` object for this request and answer, with a rule's overrides applied."""
    prompt = overrides.get("prompt_tokens")
    completion = overrides.get("completion_tokens")
    if prompt is None:
        prompt = prompt_tokens(model, body)
    if completion is None:
        completion = completion_tokens(model, message)
    return usage_object(prompt, completion)


def usage_object(prompt: int, completion: int) -> dict[str, Any]:
    """The chat ``usage`` the API sends, details included.

    The mock caches no prompts and produces no audio, reasoning or predicted-output
    tokens, so every detail is 0 (``cached_tokens`` too: nothing is ever served from a cache).
    """
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }

"""Forwarding a chat request to a real model through litellm, for recording cassettes."""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from workbench.core.llm import import_litellm
from workbench.errors import ModelError

# Request fields passed on to the real model as they are.
FORWARDED = (
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "response_format",
    "stop",
    "seed",
    "parallel_tool_calls",
    "n",
    "logprobs",
    "top_logprobs",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
)


@dataclass(frozen=True)
class Upstream:
    """A real model: a litellm model string, and where and how to reach it (key never stored)."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout_s: float = 120.0

    @classmethod
    def of(cls, spec: dict | None) -> Upstream | None:
        """An ``Upstream`` from ``{"model", "api_base", "api_key", "timeout_s"}``, or None."""
        if not spec or not spec.get("model"):
            return None
        return cls(
            model=spec["model"],
            api_base=spec.get("api_base") or None,
            api_key=spec.get("api_key") or None,
            timeout_s=float(spec.get("timeout_s") or 120.0),
        )

    def __repr__(self) -> str:
        return f"Upstream(model={self.model!r}, api_base={self.api_base!r}, api_key=***)"


def upstream_key(
    model: str,
    env: Mapping[str, str],
    api_base: str | None = None,
    api_key_env: str | None = None,
) -> str | None:
    """The key for recording ``model``: ``WORKBENCH_MOCK_UPSTREAM_API_KEY``, else the key
    ``model_keys.key_for`` allows for ``api_base`` (the provider's ``<PROVIDER>_API_KEY`` from
    ``env`` only on the provider's own host; a named ``api_key_env``; else a placeholder)."""
    explicit = env.get("WORKBENCH_MOCK_UPSTREAM_API_KEY")
    if explicit:
        return explicit
    from workbench.core.model_keys import key_for

    return key_for(model, api_base, env, api_key_env)


def check_reachable(model: str, api_base: str, timeout: float = 3.0) -> None:
    """Raise ``ModelError`` (one line) unless something accepts connections at ``api_base``.

    A connection test, not a request: it costs nothing and fails in seconds, where the
    agent's retries and fallbacks against a dead address would take half a minute.
    """
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelError(f"model {model}: api base {api_base!r} is not an http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ModelError(f"model {model}: api base {api_base!r} has an invalid port") from None
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if isinstance(error, TimeoutError | socket.timeout):
            reason = f"no answer in {timeout:g} s"
        raise ModelError(
            f"model {model}: cannot connect to {api_base} ({reason}); check the api base, "
            "or that the server is running"
        ) from None


class UpstreamError(Exception):
    """The real model failed; carries the status code to pass back to the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def forward(upstream: Upstream, body: dict) -> dict[str, Any]:
    """Ask the real model (never streaming) and return its answer as a chat.completion dict."""
    litellm = import_litellm()
    params = {key: body[key] for key in FORWARDED if body.get(key) is not None}
    try:
        response = await litellm.acompletion(
            model=upstream.model,
            messages=body.get("messages") or [],
            api_base=upstream.api_base,
            api_key=upstream.api_key,
            timeout=upstream.timeout_s,
            num_retries=0,
            max_retries=0,
            **params,
        )
    except Exception as error:  # every provider error becomes a status for the client
        status = getattr(error, "status_code", None)
        status = status if isinstance(status, int) and 400 <= status <= 599 else 502
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UpstreamError(status, f"upstream {upstream.model}: {message}") from None
    return _clean(response.model_dump())


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    choices = []
    for index, choice in enumerate(raw.get("choices") or []):
        message = choice.get("message") or {}
        clean: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        calls = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {
                    "name": (call.get("function") or {}).get("name"),
                    "arguments": (call.get("function") or {}).get("arguments") or "",
                },
            }
            for call in message.get("tool_calls") or []
        ]
        if calls:
            clean["tool_calls"] = calls
        choices.append(
            {
                "index": index,
                "message": clean,
                "logprobs": choice.get("logprobs"),
                "finish_reason": choice.get("finish_reason") or "stop",
            }
        )
    usage = raw.get("usage") or {}
    prompt, completion = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
    return {
        "id": raw.get("id") or "chatcmpl-recorded",
        "object": "chat.completion",
        "created": raw.get("created") or int(time.time()),
        "model": raw.get("model") or "",
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "system_fingerprint": raw.get("system_fingerprint"),
    }

"""Turning a model error from litellm (as the agent reported it) into one clear line."""

from __future__ import annotations

import re

_KEY_HINT = "set its API key in the environment or the project's .env"

# (pattern over the error text, explanation); the first match wins.
_RULES: tuple[tuple[str, str], ...] = (
    (
        r"LLM Provider NOT provided|Unmapped LLM provider|not a valid model string",
        "litellm does not know this model string; use provider/model, e.g. openai/gpt-4o-mini",
    ),
    (
        r"AuthenticationError|\b401\b|api[_ ]key|Incorrect API key|invalid x-api-key",
        f"authentication failed: {_KEY_HINT}",
    ),
    (r"PermissionDenied|\b403\b", "access denied: the key is not allowed to use this model"),
    (
        r"NotFoundError|\b404\b|model_not_found|does not exist|not found",
        "model not found: check the model name (and the api base)",
    ),
    (
        r"APIConnectionError|Connection ?(?:Error|refused|reset)|Cannot connect|Name or service "
        r"not known|nodename nor servname|getaddrinfo|ConnectError|cannot resolve|"
        r"TLS certificate|invalid URL",
        "cannot connect: check the api base, the network, or that the local server is running",
    ),
    (r"RateLimit|\b429\b|quota", "rate limited (HTTP 429) even after retries"),
    (
        r"ContextWindowExceeded|context length|maximum context",
        "the conversation is longer than the model's context window",
    ),
    (r"Timeout|timed out", "the model did not answer in time"),
    (
        r"ServiceUnavailable|InternalServerError|\b50[0-4]\b|overloaded",
        "the provider failed (HTTP 5xx) even after retries and fallbacks",
    ),
    (
        r"No deployments available|cooldown",
        "every deployment of the model is cooling down after repeated failures",
    ),
    (r"BadRequestError|\b400\b|UnsupportedParams", "the provider rejected the request"),
)


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.strip().split())
    line = re.sub(r"^(?:litellm\.)?\w+Error:\s*", "", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def explain_model_error(model: str, error: str) -> str:
    """``model <m>: <what went wrong and what to do>``, on one line, for a turn with status error.

    The explanation never echoes the error's own text when it could hold a key.
    """
    text = error or ""
    for pattern, explanation in _RULES:
        if re.search(pattern, text, re.IGNORECASE):
            return f"model {model}: {explanation}"
    detail = _first_line(text) if text else "the agent reported an error without a message"
    detail = re.sub(r"\b(sk|key|pk)-[A-Za-z0-9_\-]{6,}", r"\1-***", detail)
    return f"model {model}: {detail}"

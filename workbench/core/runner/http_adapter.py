"""The black-box adapter: an adopted agent reached through its own HTTP endpoint.

``[agent.http]`` names the URL and dotted JSON paths: where the message (and the
session id, and optionally the model) go in the request body, and where the reply is
in the response. The W3C ``traceparent`` header carries the turn's trace, so an
instrumented service's spans join it.
"""

from __future__ import annotations

import os
from typing import Any

from workbench.core.config import HttpAgentSection


def _steps(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split(".") if part]


def put_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path, creating the objects on the way."""
    steps = [str(step) for step in _steps(path)]
    for step in steps[:-1]:
        body = body.setdefault(step, {})
    body[steps[-1]] = value


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path (``choices.0.message.content``); ``KeyError`` if absent."""
    for step in _steps(path):
        if isinstance(step, int) and isinstance(data, list) and step < len(data):
            data = data[step]
        elif isinstance(data, dict) and str(step) in data:
            data = data[str(step)]
        else:
            raise KeyError(f"the agent's response has no {path!r} (at {step!r})")
    return data


def _headers(settings: HttpAgentSection) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if settings.headers_env:
        from workbench.core.collector.forward import parse_header_list

        text = os.environ.get(settings.headers_env, "")
        headers.update(parse_header_list(text, where=settings.headers_env))
    return headers


def http_function(settings: HttpAgentSection):
    """An adapter-contract function that posts each turn to the agent's endpoint."""
    import httpx
    from opentelemetry import propagate

    async def call(request: dict[str, Any]) -> str:
        body: dict[str, Any] = {}
        put_path(body, settings.message_path, request["message"])
        if settings.session_path and request["session_id"]:
            put_path(body, settings.session_path, request["session_id"])
        if settings.model_path and request["model"]:
            put_path(body, settings.model_path, request["model"])
        headers = _headers(settings)
        propagate.inject(headers)
        async with httpx.AsyncClient(timeout=settings.timeout) as client:
            response = await client.post(settings.url, json=body, headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{settings.url} answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise RuntimeError(f"{settings.url} answered with a body that is not JSON") from None
        reply = get_path(data, settings.reply_path)
        return reply if isinstance(reply, str) else str(reply)

    return call

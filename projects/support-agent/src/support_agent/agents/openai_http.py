"""One chat-completions POST on an OpenAI SDK client's own HTTP client, without the SDK's
per-request plumbing.

The SDK's `post` copies and validates its request options, merges headers, wraps the body
and runs its retry loop (off here: the Router retries) on every call: ~0.5 ms of CPU, as much
as the HTTP exchange itself. The direct transport (`transport.py`) sends its one request here,
on the client litellm caches for the endpoint (its TLS settings, proxies and pool), to the
URL and with the credentials the SDK would use. A failure is raised as the SDK raises it
(`APIStatusError` by status, `APITimeoutError`, `APIConnectionError`), so litellm maps it
to the same exception class; tests/test_transport.py holds the two paths equal.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx


def headers(client: Any) -> dict[str, str]:
    """What identifies and authorizes the call: the SDK's content headers, user agent,
    bearer key, and the organization and project when the client has them."""
    sent = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": client.user_agent,
        "Authorization": f"Bearer {client.api_key}",
    }
    if client.organization:
        sent["OpenAI-Organization"] = client.organization
    if client.project:
        sent["OpenAI-Project"] = client.project
    return sent


async def post_chat(client: Any, body: dict[str, Any], timeout: float) -> httpx.Response:
    """POST `body` to the client's `chat/completions`; the answer, or the SDK's exception."""
    import openai

    http = client._client  # the HTTP client the SDK client wraps (litellm's)
    request = http.build_request(
        "POST",
        f"{client.base_url}chat/completions",  # the SDK keeps base_url ending in "/"
        # Compact, as the SDK encodes it (the same bytes, so a proxy sees the same request).
        content=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        headers=headers(client),
        timeout=timeout,
    )
    try:
        response = await http.send(request)
    except httpx.TimeoutException as error:
        raise openai.APITimeoutError(request=request) from error
    except (httpx.RequestError, ssl.SSLError) as error:
        raise openai.APIConnectionError(request=request) from error
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        # As the SDK raises it: the status error keeps httpx's (and its response) as context,
        # which `attempts.classified` reads the provider's status from.
        await error.response.aread()
        raise client._make_status_error_from_response(error.response) from None
    return response

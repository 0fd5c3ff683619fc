"""A request-body cap as pure ASGI middleware: 413 before an oversized body is read.

A declared `Content-Length` over the cap is refused before the application runs at all (no
auth, no parsing, nothing buffered). A body without one (chunked, streamed) is counted as
it arrives, and the read that crosses the cap fails with 413 before the rest is accepted,
so a few concurrent 30 MiB uploads cannot grow the process past its memory limit.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """The request body is over the cap (FastAPI renders it as a 413 while parsing)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit}-byte limit (AGENT_MAX_BODY_BYTES)")


class BodySizeLimit:
    """Cap every HTTP request body at `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, BodyTooLarge(self.max_bytes))
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    error = BodyTooLarge(self.max_bytes)
                    # Answer now: middleware in between (BaseHTTPMiddleware's task groups)
                    # may turn the exception into a different error on its way out.
                    if not started and not refused:
                        refused = True
                        await _refuse(send, error)
                    raise error
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already; drop whatever the app answers instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BaseException as error:
            if not refused or not _is_body_error(error):
                raise


def _is_body_error(error: BaseException) -> bool:
    """Whether `error` is (or wraps only) our BodyTooLarge."""
    if isinstance(error, BaseExceptionGroup):
        return all(_is_body_error(inner) for inner in error.exceptions)
    return isinstance(error, BodyTooLarge) or isinstance(error.__cause__, BodyTooLarge)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, error: BodyTooLarge) -> None:
    body = json.dumps({"detail": error.detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""ASGI middleware handing each OTLP export the receiver accepted to the ``Forwarder``."""

from __future__ import annotations

from typing import Any

from workbench.core.collector.forward import Export, Forwarder

OTLP_PATHS = frozenset({"/v1/traces", "/v1/logs", "/v1/metrics"})


class ForwardMiddleware:
    """ASGI middleware: each OTLP export the receiver answers 200 goes to the ``Forwarder``.

    It keeps a copy of the raw request body (still compressed, as the exporter sent
    it) and submits it once the receiver has accepted the export; refused exports
    (4xx, 503) are not forwarded. The handlers themselves are untouched.
    """

    def __init__(self, app: Any, forwarder: Forwarder) -> None:
        self.app = app
        self.forwarder = forwarder

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in OTLP_PATHS:
            await self.app(scope, receive, send)
            return
        raw = bytearray()

        async def copying_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                raw.extend(message.get("body", b""))
            return message

        accepted = False

        async def watching_send(message: dict) -> None:
            nonlocal accepted
            if message["type"] == "http.response.start":
                accepted = message["status"] == 200
            await send(message)

        await self.app(scope, copying_receive, watching_send)
        if accepted:
            headers = dict(scope["headers"])
            encoding = headers.get(b"content-encoding")
            self.forwarder.submit(
                Export(
                    path=scope["path"],
                    body=bytes(raw),
                    content_type=headers.get(b"content-type", b"").decode("latin-1"),
                    content_encoding=encoding.decode("latin-1") if encoding else None,
                )
            )

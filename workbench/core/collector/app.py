"""The OTLP/HTTP trace receiver as an ASGI app: POST /v1/traces and GET /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workbench.core.collector.decode import (
    RequestError,
    decode_request,
    encode_response,
    encode_status,
    media_type,
    read_body,
)
from workbench.core.collector.normalize import OverridesFor, normalize_request
from workbench.core.collector.overrides import PricingOverrides
from workbench.core.collector.sink import write_spans
from workbench.core.pricing import price_map
from workbench.store.writer import BatchWriter, QueueFull

DEFAULT_MAX_BODY = 20 * 1024 * 1024
HEALTH_SERVICE = "workbench-collector"
# gRPC codes in the google.rpc.Status bodies that OTLP/HTTP asks for.
_RPC_CODES = {400: 3, 413: 8, 415: 3, 503: 14}
_WRITE_TIMEOUT = 30.0


def create_app(
    *,
    db_path: Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    max_queue: int = 64,
    write_batch: Callable[[Database, list[tuple]], None] = write_spans,
    overrides_for: OverridesFor | None = None,
) -> Starlette:
    """The receiver; its BatchWriter opens on startup and closes (after flushing) on shutdown."""
    overrides = overrides_for if overrides_for is not None else PricingOverrides()
    state: dict[str, BatchWriter] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # Load prices in the background so the first export does not wait for them.
        threading.Thread(target=price_map, name="workbench-prices", daemon=True).start()
        writer = BatchWriter(
            write_batch,
            path=db_path,
            max_batch=8192,
            max_delay=0.005,
            max_queue=max_queue,
            name="workbench-collector-writer",
        )
        state["writer"] = writer
        try:
            yield
        finally:
            await asyncio.to_thread(writer.close)

    async def export(request: Request) -> Response:
        media = media_type(request.headers.get("content-type"))
        if media is None:
            content_type = request.headers.get("content-type")
            return _error(415, f"unsupported Content-Type {content_type!r}", None)
        try:
            encoding = request.headers.get("content-encoding")
            declared = request.headers.get("content-length", "")
            if not encoding and declared.isdigit() and int(declared) > max_body_bytes:
                raise RequestError(413, f"body exceeds the limit of {max_body_bytes} bytes")
            body = await read_body(request.stream(), encoding, max_body_bytes)
            message = decode_request(body, media)
        except RequestError as error:
            return _error(error.status, error.message, media)
        normalized = normalize_request(message, overrides)
        if normalized.rows:
            try:
                future = state["writer"].submit(normalized.rows)
            except QueueFull:
                return _error(503, "the collector is busy; retry later", media, retry=True)
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), _WRITE_TIMEOUT)
            except Exception as error:  # never acknowledge what was not committed
                return _error(503, f"could not store the spans: {error}", media, retry=True)
        response = ExportTraceServiceResponse()
        if normalized.rejected:
            response.partial_success.rejected_spans = normalized.rejected
            response.partial_success.error_message = normalized.error_message
        return Response(encode_response(response, media), media_type=media)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": HEALTH_SERVICE})

    return Starlette(
        routes=[
            Route("/v1/traces", export, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _error(status: int, message: str, media: str | None, *, retry: bool = False) -> Response:
    body, content_type = encode_status(_RPC_CODES.get(status, 2), message, media)
    headers = {"Retry-After": "1"} if retry else None
    return Response(body, status_code=status, media_type=content_type, headers=headers)

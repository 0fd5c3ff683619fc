"""The OTLP/HTTP receiver as an ASGI app: POST /v1/traces, /v1/logs, /v1/metrics, GET /healthz.

Small exports are decoded and normalized in the receiver's process; large ones
(``offload_bytes`` and over) in worker processes (``workers.NormalizePool``),
so that on a multi-core machine HTTP and the one SQLite writer run beside them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workbench.core.collector.checkpoint import Checkpointer, tune_writer
from workbench.core.collector.decode import (
    RequestError,
    decode_request,
    encode_response,
    encode_status,
    media_type,
    read_body,
)
from workbench.core.collector.forward import ForwardConfig, Forwarder
from workbench.core.collector.forward_middleware import ForwardMiddleware
from workbench.core.collector.identity import store_id
from workbench.core.collector.normalize import Normalized, OverridesFor, normalize_request
from workbench.core.collector.overrides import PricingOverrides
from workbench.core.collector.signal_routes import SignalReceiver
from workbench.core.collector.sink import stage_spans
from workbench.core.collector.workers import NormalizePool, WorkerFailed, WorkersUnavailable
from workbench.core.pricing import price_map
from workbench.store.summaries import summarize_pending
from workbench.store.writer import BatchWriter, QueueFull

DEFAULT_MAX_BODY = 20 * 1024 * 1024
HEALTH_SERVICE = "workbench-collector"
# gRPC codes in the google.rpc.Status bodies that OTLP/HTTP asks for.
_RPC_CODES = {400: 3, 413: 8, 415: 3, 503: 14}
_WRITE_TIMEOUT = 30.0
# Below this (decompressed) size an export costs less to normalize here than to ship to a worker.
DEFAULT_OFFLOAD_BYTES = 32 * 1024
# Trace summaries are refreshed once the writer was idle SUMMARY_IDLE seconds, or under
# sustained load once SUMMARY_SPANS spans or SUMMARY_LAG seconds are owed: one refresh of
# many traces rewrites the summaries' index pages once for all of them. Alternating
# bench/ingest.py runs at load 4-6 against 0.25 s / 5 ms idle: 13 refreshes per 100,000
# spans instead of 30-32, writer thread 4.0-4.3 against 5.2-5.4 us a span in them, the
# main process 17.2-19.0 against 19.8-20.1 us a span. Most of it is the idle wait: 5 ms
# passes between exports under load (with the bound in spans, 23-31 refreshes per 100,000
# spans at 4.4-4.9 us a span, against 12-14 at 3.9-4.3 us with 50 ms); the price is that
# summaries are stored 50-100 ms after a burst ends instead of 7-22. Readers merge the
# pending traces meanwhile, and that merge grows with them (a trace list's first page took
# 23 ms with 834 pending traces, 69 ms with 2,731), hence the bound in spans.
SUMMARY_IDLE = 0.05
SUMMARY_LAG = 1.0
SUMMARY_SPANS = 8192


def default_workers() -> int:
    """Worker processes for a machine: one a core, up to four (none on one core)."""
    # Not one fewer than the cores: the main process (HTTP, writer) waits on the decoders
    # more than it computes. On 2 cores, alternating bench/ingest.py runs (load 1.7-2.3):
    # 2 workers 43,913-44,780 spans/s, p50 43-45 ms; 1 worker 36,654-37,507, p50 52 ms.
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(4, cores)


def create_app(
    *,
    db_path: Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    max_queue: int = 64,
    write_batch: Callable[[Database, list], None] = stage_spans,
    overrides_for: OverridesFor | None = None,
    workers: int | None = None,
    offload_bytes: int = DEFAULT_OFFLOAD_BYTES,
    pool: NormalizePool | None = None,
    forward: ForwardConfig | None = None,
    summary_idle: float = SUMMARY_IDLE,
    summary_lag: float = SUMMARY_LAG,
) -> Starlette:
    """The receiver; its BatchWriter opens on startup and closes (after flushing) on shutdown.

    ``workers`` worker processes (default ``default_workers()``; 0 for none)
    decode exports of ``offload_bytes`` or more; they start in the background on the
    first such export, which (like any until one is ready) is decoded here. A custom
    ``overrides_for`` keeps all decoding in this process.
    ``pool`` replaces the worker processes (tests inject failing ones).
    ``forward`` sends every accepted export on, unchanged, to another OTLP endpoint.
    ``summary_idle`` and ``summary_lag``: seconds the writer waits idle, and at most under
    load, before refreshing trace summaries (tests defer them to shutdown).
    """
    overrides = overrides_for if overrides_for is not None else PricingOverrides()
    if pool is None and isinstance(overrides, PricingOverrides):
        count = default_workers() if workers is None else workers
        pool = NormalizePool(count, projects_dir=overrides.projects_dir) if count else None
    elif pool is None and workers:
        raise ValueError("worker processes can only use the projects' pricing overrides")
    state: dict[str, BatchWriter] = {}
    store = store_id(db_path)
    signals = SignalReceiver(db_path=db_path, max_body_bytes=max_body_bytes)
    forwarder = Forwarder(forward) if forward is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # Load prices in the background so the first export does not wait for them.
        threading.Thread(target=price_map, name="workbench-prices", daemon=True).start()
        writer = BatchWriter(
            _tuned(write_batch),
            path=db_path,
            max_batch=8192,
            # Exporters wait for each acknowledgement, so waiting for more exports stalls
            # them; exports queued meanwhile still join the batch (measured: 0.005 s was slower).
            max_delay=0.001,
            max_queue=max_queue,
            name="workbench-collector-writer",
            # Trace summaries are refreshed after the acknowledgement, between batches
            # (readers merge the pending ones meanwhile: store/summaries.py).
            after=summarize_pending,
            idle_wait=summary_idle,
            max_lag=summary_lag,
            max_owed=SUMMARY_SPANS,
        )
        state["writer"] = writer
        signals.start()
        checkpointer = Checkpointer(db_path)
        if forwarder is not None:
            await forwarder.start()
        try:
            yield
        finally:
            if forwarder is not None:
                await forwarder.stop()
            # Closed on the loop's own thread, not via asyncio.to_thread: a collector stopped
            # from an atexit handler runs this after the interpreter has refused new executor
            # work, and the server has nothing left to serve meanwhile.
            if pool is not None:
                pool.close()
            writer.close()
            signals.close()
            checkpointer.close()

    async def normalize(body: bytes, media: str) -> Normalized:
        if pool is not None and pool.available and len(body) >= offload_bytes:
            if pool.ready:
                with contextlib.suppress(WorkersUnavailable):
                    return await pool.normalize(body, media)
            else:
                # Starting interpreters takes a second or more: decode here meanwhile.
                pool.start()
        return normalize_request(decode_request(body, media), overrides)

    async def export(request: Request) -> Response:
        writer = state["writer"]
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
            normalized = await normalize(body, media)
            if normalized.span_count:
                future = writer.submit(normalized.writer_items(), count=normalized.span_count)
        except RequestError as error:
            return _error(error.status, error.message, media)
        except WorkerFailed as error:
            return _error(503, f"could not decode the spans: {error}", media, retry=True)
        except QueueFull:
            return _error(503, "the collector is busy; retry later", media, retry=True)
        if normalized.span_count:
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
        body: dict[str, Any] = {"status": "ok", "service": HEALTH_SERVICE, "store": store}
        if pool is not None:
            body["decode_workers"] = {
                "size": pool.workers,
                "started": pool.started,
                "alive": pool.alive,
                "available": pool.available,
            }
        if forwarder is not None:
            body["forward"] = forwarder.stats()
        if "writer" in state:
            body["writer"] = state["writer"].stats()
        return JSONResponse(body)

    app = Starlette(
        routes=[
            Route("/v1/traces", export, methods=["POST"]),
            *signals.routes(),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
        middleware=[Middleware(ForwardMiddleware, forwarder=forwarder)] if forwarder else None,
    )
    app.state.forwarder = forwarder
    return app


def _tuned(write_batch: Callable[[Database, list], None]):
    """``write_batch`` on a writer connection tuned for ingest (checkpoints run elsewhere)."""

    def write(db: Database, rows: list[tuple]) -> None:
        tune_writer(db)
        write_batch(db, rows)

    return write


def _error(status: int, message: str, media: str | None, *, retry: bool = False) -> Response:
    body, content_type = encode_status(_RPC_CODES.get(status, 2), message, media)
    headers = {"Retry-After": "1"} if retry else None
    return Response(body, status_code=status, media_type=content_type, headers=headers)

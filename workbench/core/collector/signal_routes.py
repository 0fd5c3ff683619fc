"""The collector's POST /v1/logs and /v1/metrics: OTLP/HTTP answers and a writer of their own.

Logs and metrics have their own ``BatchWriter`` (and SQLite connection), started
with the app, so the traces path, its writer and its batches are untouched by them.
Both answer as an OTLP server does: 200 with an Export*ServiceResponse (with
``partial_success`` when records were refused), 400 for an undecodable body, 413
past the size limit, 415 for an unknown content type or encoding, 503 (with
``Retry-After``) when the store cannot take them now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workbench.core.collector.decode import (
    JSON,
    RequestError,
    encode_status,
    media_type,
    read_body,
)
from workbench.core.collector.signals import (
    SignalRows,
    decode_logs,
    decode_metrics,
    log_rows,
    metric_rows,
)
from workbench.store.telemetry import LOGS, METRICS, write_telemetry
from workbench.store.writer import BatchWriter, QueueFull

_RPC_CODES = {400: 3, 413: 8, 415: 3, 503: 14}
_WRITE_TIMEOUT = 30.0


class SignalReceiver:
    """Receives OTLP logs and metrics into the telemetry tables; ``routes()`` for the app."""

    def __init__(self, *, db_path: Path | None, max_body_bytes: int, max_queue: int = 64) -> None:
        self._db_path = db_path
        self._max_body_bytes = max_body_bytes
        self._max_queue = max_queue
        self._writer: BatchWriter | None = None

    def start(self) -> None:
        """Open the writer (its connection applies pending migrations)."""
        self._writer = BatchWriter(
            write_telemetry,
            path=self._db_path,
            max_batch=4096,
            max_delay=0.005,
            max_queue=self._max_queue,
            name="workbench-collector-telemetry-writer",
        )

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def routes(self) -> list[Route]:
        """The two export routes."""
        return [
            Route("/v1/logs", self._logs, methods=["POST"]),
            Route("/v1/metrics", self._metrics, methods=["POST"]),
        ]

    async def _logs(self, request: Request) -> Response:
        def answer(rows: SignalRows) -> ExportLogsServiceResponse:
            response = ExportLogsServiceResponse()
            if rows.rejected:
                response.partial_success.rejected_log_records = rows.rejected
                response.partial_success.error_message = rows.error_message("log record(s)")
            return response

        return await self._export(request, LOGS, lambda b, m: log_rows(decode_logs(b, m)), answer)

    async def _metrics(self, request: Request) -> Response:
        def answer(rows: SignalRows) -> ExportMetricsServiceResponse:
            response = ExportMetricsServiceResponse()
            if rows.rejected:
                response.partial_success.rejected_data_points = rows.rejected
                response.partial_success.error_message = rows.error_message("data point(s)")
            return response

        return await self._export(
            request, METRICS, lambda b, m: metric_rows(decode_metrics(b, m)), answer
        )

    async def _export(
        self,
        request: Request,
        table: str,
        rows_of: Callable[[bytes, str], SignalRows],
        answer: Callable[[SignalRows], Message],
    ) -> Response:
        media = media_type(request.headers.get("content-type"))
        if media is None:
            content_type = request.headers.get("content-type")
            return _error(415, f"unsupported Content-Type {content_type!r}", None)
        try:
            encoding = request.headers.get("content-encoding")
            declared = request.headers.get("content-length", "")
            if not encoding and declared.isdigit() and int(declared) > self._max_body_bytes:
                raise RequestError(413, f"body exceeds the limit of {self._max_body_bytes} bytes")
            body = await read_body(request.stream(), encoding, self._max_body_bytes)
            # Decoding is CPU work: off the event loop, so the traces route keeps answering.
            rows = await asyncio.to_thread(rows_of, body, media)
        except RequestError as error:
            return _error(error.status, error.message, media)
        if rows.rows:
            refused = await self._store(table, rows.rows, media)
            if refused is not None:
                return refused
        message = answer(rows)
        if media == JSON:
            return Response(json_format.MessageToJson(message, indent=None), media_type=media)
        return Response(message.SerializeToString(), media_type=media)

    async def _store(self, table: str, rows: list[tuple], media: str) -> Response | None:
        """Commit the rows; an error answer when they could not be (never ack what was lost)."""
        writer = self._writer
        if writer is None:
            return _error(503, "the collector is starting or stopping; retry", media, retry=True)
        try:
            future = writer.submit([(table, row) for row in rows])
        except QueueFull:
            return _error(503, "the collector is busy; retry later", media, retry=True)
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), _WRITE_TIMEOUT)
        except Exception as error:  # never acknowledge what was not committed
            return _error(503, f"could not store the {table}: {error}", media, retry=True)
        return None


def _error(status: int, message: str, media: str | None, *, retry: bool = False) -> Response:
    body, content_type = encode_status(_RPC_CODES.get(status, 2), message, media)
    headers = {"Retry-After": "1"} if retry else None
    return Response(body, status_code=status, media_type=content_type, headers=headers)

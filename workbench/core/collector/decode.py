"""Reading OTLP/HTTP trace exports: content types, bounded gzip, protobuf and JSON."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import AsyncIterator

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_MEDIA = {"application/x-protobuf": PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
_IDENTITY = {"", "identity"}
_GZIP = {"gzip", "x-gzip"}


class RequestError(Exception):
    """A request the receiver refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(content_type: str | None) -> str | None:
    """The canonical media type for a Content-Type header, or None when unsupported."""
    if not content_type:
        return None
    return _MEDIA.get(content_type.split(";", 1)[0].strip().lower())


async def read_body(
    chunks: AsyncIterator[bytes], content_encoding: str | None, limit: int
) -> bytes:
    """The request body, decompressed; 413 as soon as it would exceed ``limit`` bytes."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in _IDENTITY:
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            if len(body) > limit:
                raise RequestError(413, f"body exceeds the limit of {limit} bytes")
        return bytes(body)
    if encoding in _GZIP:
        gunzip = BoundedGunzip(limit)
        async for chunk in chunks:
            gunzip.feed(chunk)
        return gunzip.finish()
    raise RequestError(415, f"unsupported Content-Encoding {content_encoding!r}")


class BoundedGunzip:
    """Incremental gzip decompression that never inflates more than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.out = bytearray()
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._seen_input = False

    def feed(self, data: bytes) -> None:
        """Decompress ``data``; raise 413 once the output would pass the limit."""
        while data:
            self._seen_input = True
            if self._inflater.eof:
                # Concatenated gzip members are one valid stream (RFC 1952).
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            room = self.limit - len(self.out) + 1
            try:
                self.out += self._inflater.decompress(data, room)
            except zlib.error as error:
                raise RequestError(400, f"invalid gzip data: {error}") from None
            if len(self.out) > self.limit:
                raise RequestError(
                    413, f"decompressed body exceeds the limit of {self.limit} bytes"
                )
            data = self._inflater.unconsumed_tail or self._inflater.unused_data

    def finish(self) -> bytes:
        """The whole decompressed body; 400 if the gzip stream is incomplete."""
        if self._seen_input and not self._inflater.eof:
            raise RequestError(400, "invalid gzip data: truncated stream")
        return bytes(self.out)


def decode_request(body: bytes, media: str) -> ExportTraceServiceRequest:
    """An ExportTraceServiceRequest from protobuf or OTLP JSON; 400 when undecodable."""
    if media == PROTOBUF:
        try:
            return ExportTraceServiceRequest.FromString(body)
        except DecodeError as error:
            raise RequestError(400, f"undecodable protobuf: {error}") from None
    try:
        data = json.loads(body)
        _hex_ids_to_base64(data)
        return json_format.ParseDict(data, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except RecursionError:
        # json.loads recurses once per level; a hostile body nests past the interpreter's limit.
        raise RequestError(400, "undecodable JSON: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, json_format.ParseError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RequestError(400, f"undecodable JSON: {message}") from None


_ID_KEYS = ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id")


def _hex_ids_to_base64(data: dict) -> None:
    """OTLP JSON writes ids as hex where proto3 JSON expects base64; an invalid id becomes empty."""
    if not isinstance(data, dict):
        raise TypeError("the body is not a JSON object")
    for resource_spans in data.get("resourceSpans") or data.get("resource_spans") or []:
        for scope_spans in (
            resource_spans.get("scopeSpans") or resource_spans.get("scope_spans") or []
        ):
            for span in scope_spans.get("spans") or []:
                _convert_ids(span)
                for link in span.get("links") or []:
                    _convert_ids(link)


def _convert_ids(obj: dict) -> None:
    for key in _ID_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raw = b""
            obj[key] = base64.b64encode(raw).decode("ascii")


def encode_response(response: ExportTraceServiceResponse, media: str) -> bytes:
    """The export response in the request's encoding."""
    if media == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def encode_status(code: int, message: str, media: str | None) -> tuple[bytes, str]:
    """A google.rpc.Status error body in the request's encoding (plain text when unknown)."""
    status = status_pb2.Status(code=code, message=message)
    if media == JSON:
        return json_format.MessageToJson(status, indent=None).encode(), JSON
    if media == PROTOBUF:
        return status.SerializeToString(), PROTOBUF
    return message.encode(), "text/plain; charset=utf-8"

"""Decoding OTLP log and metric exports and turning them into rows for the telemetry tables.

Pure functions over the official protobuf messages (opentelemetry-proto), like
``normalize`` is for spans. Logs are kept whole; of the metrics only the GenAI
ones (``gen_ai.*``) are kept, with their ``gen_ai.*``, ``server.*`` and
``error.type`` attributes (see docs/tracing.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from workbench.core.collector.aliases import any_value, attributes_dict
from workbench.core.collector.decode import PROTOBUF, RequestError

_INT64_MAX = 2**63 - 1
_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
KEPT_METRIC_PREFIX = "gen_ai."
_KEPT_ATTRIBUTE_PREFIXES = ("gen_ai.", "server.")
_KEPT_ATTRIBUTES = {"error.type"}
_TEMPORALITY = {1: "delta", 2: "cumulative"}


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


@dataclass
class SignalRows:
    """The rows of one logs or metrics export, and what was refused (with reasons)."""

    rows: list[tuple] = field(default_factory=list)
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    dropped: int = 0  # accepted but not kept (metrics other than gen_ai.*)

    def error_message(self, what: str) -> str:
        """A short message for OTLP's ``partial_success.error_message``."""
        if not self.rejected:
            return ""
        shown = "; ".join(self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        return f"rejected {self.rejected} {what}: {shown}{more}"


def decode_export(body: bytes, media: str, message_type: type[Message]) -> Any:
    """An export request of ``message_type`` from protobuf or OTLP JSON; 400 when undecodable."""
    if media == PROTOBUF:
        try:
            return message_type.FromString(body)
        except DecodeError as error:
            raise RequestError(400, f"undecodable protobuf: {error}") from None
        except RecursionError:
            raise RequestError(400, "undecodable protobuf: nested too deeply") from None
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise TypeError("the body is not a JSON object")
        _hex_ids_to_base64(data)
        return json_format.ParseDict(data, message_type(), ignore_unknown_fields=True)
    except RecursionError:
        raise RequestError(400, "undecodable JSON: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, json_format.ParseError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RequestError(400, f"undecodable JSON: {message}") from None


_ID_KEYS = ("traceId", "trace_id", "spanId", "span_id")


def _hex_ids_to_base64(data: Any) -> None:
    """OTLP JSON writes trace and span ids as hex where proto3 JSON expects base64.

    Walked iteratively (ids sit in log records and metric exemplars at any depth of
    the export), so a deeply nested body cannot exhaust the stack here.
    """
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _ID_KEYS and isinstance(value, str):
                    try:
                        raw = bytes.fromhex(value)
                    except ValueError:
                        raw = b"\xff"  # odd or non-hex: kept invalid, so the record is refused
                    node[key] = base64.b64encode(raw).decode("ascii")
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, dict | list))


def decode_logs(body: bytes, media: str) -> ExportLogsServiceRequest:
    """An ExportLogsServiceRequest; ``RequestError`` (400) when undecodable."""
    return decode_export(body, media, ExportLogsServiceRequest)


def decode_metrics(body: bytes, media: str) -> ExportMetricsServiceRequest:
    """An ExportMetricsServiceRequest; ``RequestError`` (400) when undecodable."""
    return decode_export(body, media, ExportMetricsServiceRequest)


def _service(resource) -> str:
    for kv in resource.attributes:
        if kv.key == "service.name":
            value = any_value(kv.value)
            if value is not None:
                return str(value)
    return "unknown_service"


def log_rows(request: ExportLogsServiceRequest) -> SignalRows:
    """Rows in ``LOG_COLUMNS`` order for every valid log record of the export."""
    out = SignalRows()
    for resource_logs in request.resource_logs:
        service = _service(resource_logs.resource)
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope.name or None
            for record in scope_logs.log_records:
                problem = _log_problem(record)
                if problem:
                    out.rejected += 1
                    out.errors.append(problem)
                    continue
                attributes = attributes_dict(record.attributes)
                event = record.event_name or attributes.get("event.name")
                if not event and isinstance(attributes.get("event_name"), str):
                    event = attributes["event_name"]  # litellm's otel callback names it so
                body = any_value(record.body) if record.HasField("body") else None
                trace_id, span_id = record.trace_id, record.span_id
                out.rows.append(
                    (
                        trace_id.hex() if trace_id and trace_id != _ZERO_TRACE else None,
                        span_id.hex() if span_id and span_id != _ZERO_SPAN else None,
                        record.time_unix_nano or record.observed_time_unix_nano,
                        int(record.severity_number),
                        record.severity_text or None,
                        str(event) if event else None,
                        _dumps(body) if body is not None else None,
                        _dumps(attributes),
                        service,
                        scope,
                    )
                )
    return out


def _log_problem(record) -> str | None:
    if record.trace_id and len(record.trace_id) != 16:
        return "invalid trace_id (need 16 bytes)"
    if record.span_id and len(record.span_id) != 8:
        return "invalid span_id (need 8 bytes)"
    if max(record.time_unix_nano, record.observed_time_unix_nano) > _INT64_MAX:
        return "time out of range (after the year 2262)"
    return None


def metric_rows(request: ExportMetricsServiceRequest) -> SignalRows:
    """Rows in ``METRIC_COLUMNS`` order for the GenAI data points of the export."""
    out = SignalRows()
    for resource_metrics in request.resource_metrics:
        service = _service(resource_metrics.resource)
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope.name or None
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(metric, kind)
                if not metric.name.startswith(KEPT_METRIC_PREFIX):
                    out.dropped += len(data.data_points)
                    continue
                temporality = _TEMPORALITY.get(getattr(data, "aggregation_temporality", 0))
                for point in data.data_points:
                    try:
                        row = _metric_row(metric, kind, temporality, point, service, scope)
                    except ValueError as problem:
                        out.rejected += 1
                        out.errors.append(f"metric {metric.name!r}: {problem}")
                        continue
                    out.rows.append(row)
    return out


def _kept_attributes(point) -> dict[str, Any]:
    return {
        key: value
        for key, value in attributes_dict(point.attributes).items()
        if key.startswith(_KEPT_ATTRIBUTE_PREFIXES) or key in _KEPT_ATTRIBUTES
    }


def _metric_row(metric, kind, temporality, point, service, scope) -> tuple:
    start, time = point.start_time_unix_nano, point.time_unix_nano
    if start > _INT64_MAX or time > _INT64_MAX:
        raise ValueError("time out of range (after the year 2262)")
    attributes = _kept_attributes(point)
    count = total = low = high = value = None
    bounds = buckets = None
    if kind == "histogram":
        count, total = point.count, point.sum if point.HasField("sum") else None
        low = point.min if point.HasField("min") else None
        high = point.max if point.HasField("max") else None
        if point.bucket_counts and len(point.bucket_counts) != len(point.explicit_bounds) + 1:
            raise ValueError("bucket_counts must have one more entry than explicit_bounds")
        bounds, buckets = list(point.explicit_bounds), list(point.bucket_counts)
    elif kind == "exponential_histogram":
        count, total = point.count, point.sum if point.HasField("sum") else None
        low = point.min if point.HasField("min") else None
        high = point.max if point.HasField("max") else None
    elif kind == "summary":
        count, total = point.count, point.sum
    else:  # sum, gauge
        which = point.WhichOneof("value")
        value = float(getattr(point, which)) if which else None
    if count is not None and count > _INT64_MAX:
        raise ValueError(f"count out of range ({count})")
    for number in (total, low, high, value):
        if number is not None and not math.isfinite(number):
            raise ValueError(f"non-finite value ({number})")
    model = attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model")
    attributes_json = _dumps(attributes)
    series = hashlib.blake2b(
        _dumps([metric.name, service, scope, attributes_json, start]).encode(), digest_size=12
    ).hexdigest()
    return (
        series,
        time,
        start,
        metric.name,
        metric.unit or None,
        kind,
        temporality,
        service,
        scope,
        str(model) if model is not None else None,
        _str(attributes.get("gen_ai.operation.name")),
        _str(attributes.get("gen_ai.token.type")),
        attributes_json,
        count,
        total,
        low,
        high,
        value,
        _dumps(bounds) if bounds is not None else None,
        _dumps(buckets) if buckets is not None else None,
    )


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None

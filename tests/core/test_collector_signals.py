"""The collector takes logs and metrics: the real OTel SDK exports all three signals cleanly."""

from __future__ import annotations

import gzip
import json
import logging

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workbench import locations
from workbench.core.collector import signal_routes, start_collector
from workbench.store.db import connect
from workbench.store.telemetry import metric_summaries, trace_logs


def _export_all_three(url: str) -> str:
    """One GenAI call's span, two event logs inside it, and the two GenAI histograms."""
    resource = Resource.create({"service.name": "weather-agent"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{url}/v1/traces")))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(f"{url}/v1/logs"))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(f"{url}/v1/metrics"), export_interval_millis=3_600_000
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = meter_provider.get_meter("test")
    tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    ignored = meter.create_counter("http.client.requests")
    logger = logger_provider.get_logger("test")
    tracer = tracer_provider.get_tracer("test")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes=attrs) as span:
        logger.emit(event_name="gen_ai.user.message", body={"content": "Weather in Paris?"})
        logger.emit(
            event_name="gen_ai.choice",
            body={"index": 0, "message": {"role": "assistant", "content": "Sunny."}},
        )
        tokens.record(61, {**attrs, "gen_ai.token.type": "input"})
        tokens.record(9, {**attrs, "gen_ai.token.type": "output"})
        duration.record(0.25, attrs)
        ignored.add(1)
        trace_id = format(span.get_span_context().trace_id, "032x")
    for provider in (tracer_provider, logger_provider, meter_provider):
        provider.force_flush()
        provider.shutdown()
    return trace_id


def test_sdk_exports_traces_logs_and_metrics_without_an_error(caplog):
    caplog.set_level(logging.WARNING)
    with start_collector(db_path=locations.db_path()) as server:
        trace_id = _export_all_three(server.url)
    problems = [
        record
        for record in caplog.records
        if record.name.startswith("opentelemetry") and record.levelno >= logging.WARNING
    ]
    assert not problems, [record.getMessage() for record in problems]
    db = connect()
    logs = trace_logs(db, trace_id)
    assert [record.event_name for record in logs] == ["gen_ai.user.message", "gen_ai.choice"]
    span_id = db.execute("SELECT span_id FROM spans WHERE trace_id = ?", [trace_id]).fetchone()[0]
    assert {record.span_id for record in logs} == {span_id}
    assert logs[0].body == {"content": "Weather in Paris?"}
    summaries = {(s.name, s.token_type): s for s in metric_summaries(db)}
    assert set(summaries) == {
        ("gen_ai.client.token.usage", "input"),
        ("gen_ai.client.token.usage", "output"),
        ("gen_ai.client.operation.duration", None),
    }
    assert summaries[("gen_ai.client.token.usage", "input")].total == 61
    assert summaries[("gen_ai.client.operation.duration", None)].count == 1
    assert summaries[("gen_ai.client.operation.duration", None)].model == "gpt-4o-mini"


@pytest.fixture
def collector():
    with start_collector(db_path=locations.db_path()) as server:
        yield server


def _post(url: str, body: bytes, content_type: str, **headers: str) -> httpx.Response:
    return httpx.post(
        url, content=body, headers={"content-type": content_type, **headers}, trust_env=False
    )


LOGS_JSON = {
    "resourceLogs": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
            "scopeLogs": [
                {
                    "logRecords": [
                        {
                            "timeUnixNano": "1700000000000000000",
                            "severityNumber": 9,
                            "eventName": "gen_ai.user.message",
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "body": {"kvlistValue": {"values": []}},
                        },
                        {"timeUnixNano": "1", "traceId": "abc", "body": {"stringValue": "x"}},
                    ]
                }
            ],
        }
    ]
}


def test_json_logs_with_hex_ids_are_stored_and_a_bad_id_is_a_partial_success(collector):
    response = _post(f"{collector.url}/v1/logs", json.dumps(LOGS_JSON).encode(), "application/json")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["partialSuccess"]["rejectedLogRecords"] == "1"
    assert "invalid trace_id" in answer["partialSuccess"]["errorMessage"]
    (record,) = trace_logs(connect(), "5b8efff798038103d269b633813fc60c")
    assert (record.span_id, record.event_name, record.body) == (
        "eee19b7ec3c1b174",
        "gen_ai.user.message",
        {},
    )


def test_gzip_protobuf_metrics_are_answered_with_an_export_response(collector):
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add()
    metric.name = "gen_ai.client.token.usage"
    point = metric.histogram.data_points.add(count=2, sum=30.0, time_unix_nano=5)
    point.bucket_counts.extend([1, 1])
    point.explicit_bounds.append(10.0)
    bad = metric.histogram.data_points.add(count=1, sum=1.0, time_unix_nano=6)
    bad.bucket_counts.extend([1, 0, 0])  # one more bucket than the bounds allow
    response = _post(
        f"{collector.url}/v1/metrics",
        gzip.compress(request.SerializeToString()),
        "application/x-protobuf",
        **{"content-encoding": "gzip"},
    )
    assert response.status_code == 200
    answer = ExportMetricsServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_data_points == 1
    (summary,) = metric_summaries(connect())
    assert (summary.count, summary.total) == (2, 30.0)


@pytest.mark.parametrize("path", ["/v1/logs", "/v1/metrics"])
def test_garbage_is_400_and_unknown_content_types_415(collector, path):
    garbage = _post(f"{collector.url}{path}", b"\xff\x00garbage", "application/x-protobuf")
    assert garbage.status_code == 400
    not_json = _post(f"{collector.url}{path}", b"[1, 2", "application/json")
    assert not_json.status_code == 400
    assert "undecodable JSON" in not_json.json()["message"]
    unknown = _post(f"{collector.url}{path}", b"{}", "text/csv")
    assert unknown.status_code == 415


def test_an_empty_logs_export_is_acknowledged(collector):
    response = _post(
        f"{collector.url}/v1/logs",
        ExportLogsServiceRequest().SerializeToString(),
        "application/x-protobuf",
    )
    assert response.status_code == 200
    assert not ExportLogsServiceResponse.FromString(response.content).HasField("partial_success")


def _receiver_app(receiver):
    return Starlette(routes=receiver.routes())


def _one_log() -> bytes:
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.time_unix_nano = 1
    record.body.string_value = "hello"
    return request.SerializeToString()


def test_logs_that_cannot_be_stored_are_a_503_never_an_acknowledgement(monkeypatch):
    def broken(db, items):
        raise OSError("disk full")

    monkeypatch.setattr(signal_routes, "write_telemetry", broken)
    receiver = signal_routes.SignalReceiver(db_path=locations.db_path(), max_body_bytes=1 << 20)
    with TestClient(_receiver_app(receiver)) as client:
        not_started = client.post(
            "/v1/logs", content=_one_log(), headers={"content-type": "application/x-protobuf"}
        )
        assert not_started.status_code == 503 and not_started.headers["retry-after"] == "1"
        receiver.start()
        try:
            failed = client.post(
                "/v1/logs", content=_one_log(), headers={"content-type": "application/x-protobuf"}
            )
        finally:
            receiver.close()
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "1"
    assert connect().execute("SELECT COUNT(*) FROM logs").fetchone() == (0,)


def test_a_body_past_the_limit_is_413():
    receiver = signal_routes.SignalReceiver(db_path=locations.db_path(), max_body_bytes=10)
    with TestClient(_receiver_app(receiver)) as client:
        response = client.post(
            "/v1/logs", content=_one_log() * 3, headers={"content-type": "application/x-protobuf"}
        )
    assert response.status_code == 413


METRICS_JSON = {
    "resourceMetrics": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "b"}}]},
            "scopeMetrics": [
                {
                    "metrics": [
                        {
                            "name": "gen_ai.client.generation.choices",
                            "sum": {
                                "aggregationTemporality": 1,
                                "isMonotonic": True,
                                "dataPoints": [
                                    {
                                        "timeUnixNano": "10",
                                        "asInt": "3",
                                        "attributes": [
                                            {
                                                "key": "gen_ai.response.model",
                                                "value": {"stringValue": "m"},
                                            },
                                            {"key": "secret.header", "value": {"stringValue": "x"}},
                                        ],
                                        "exemplars": [
                                            {
                                                "asInt": "1",
                                                "traceId": "5b8efff798038103d269b633813fc60c",
                                                "spanId": "eee19b7ec3c1b174",
                                            }
                                        ],
                                    },
                                    {
                                        "timeUnixNano": "11",
                                        "asInt": "2",
                                        "attributes": [
                                            {
                                                "key": "gen_ai.response.model",
                                                "value": {"stringValue": "m"},
                                            }
                                        ],
                                    },
                                ],
                            },
                        },
                        {
                            "name": "http.server.duration",
                            "gauge": {"dataPoints": [{"asDouble": 1}]},
                        },
                    ]
                }
            ],
        }
    ]
}


def test_json_metrics_delta_points_add_up_and_only_genai_metrics_are_kept(collector):
    response = _post(
        f"{collector.url}/v1/metrics", json.dumps(METRICS_JSON).encode(), "application/json"
    )
    assert response.status_code == 200, response.text
    assert response.json() == {}
    (summary,) = metric_summaries(connect())
    assert (summary.name, summary.project, summary.total) == (
        "gen_ai.client.generation.choices",
        "b",
        5,
    )
    (kept,) = {row[0] for row in connect().execute("SELECT attributes FROM metric_points")}
    assert json.loads(kept) == {"gen_ai.response.model": "m"}

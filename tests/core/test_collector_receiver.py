"""The OTLP/HTTP receiver: status codes, encodings, limits, partial success, back-pressure."""

from __future__ import annotations

import base64
import gzip
import json
import random
import sqlite3
import threading
import time
import zlib

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from workbench.core.collector.app import create_app
from workbench.core.collector.decode import BoundedGunzip, RequestError
from workbench.core.collector.server import start_collector
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import agent_turn, make_request, make_span
from workbench.core.serving import serve_in_thread
from workbench.store.traces import get_trace

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
SMALL_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A collector with the default limit and one with a 64 KiB limit, sharing nothing."""
    folder = tmp_path_factory.mktemp("collector")
    big = start_collector(db_path=folder / "big.db")
    small = start_collector(db_path=folder / "small.db", max_body_bytes=SMALL_LIMIT)
    yield {"big": (big, folder / "big.db"), "small": (small, folder / "small.db")}
    big.stop()
    small.stop()


@pytest.fixture
def client():
    with httpx.Client(trust_env=False, timeout=10) as http:
        yield http


def turn_request(seed: int):
    spans = agent_turn(random.Random(seed), start_ns=1_700_000_000_000_000_000 + seed)
    return make_request(spans, service="support-agent"), spans[0].trace_id.hex()


def stored(db_path, trace_id: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT span_id, kind, input_tokens FROM spans WHERE trace_id = ? ORDER BY span_id",
            (trace_id,),
        ).fetchall()


def trace_row(db_path, trace_id: str):
    """The trace's summary as readers see it right after the acknowledgement (the stored
    summary may still be pending: the collector refreshes it after acknowledging)."""
    with sqlite3.connect(db_path) as conn:
        trace = get_trace(conn, trace_id)
    if trace is None:
        return None
    return (trace.span_count, trace.input_tokens, trace.output_tokens, trace.cost_usd, trace.status)


def test_healthz(servers, client):
    server, _ = servers["big"]
    response = client.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert response.json()["service"] == "workbench-collector"


def test_healthz_reports_the_writers_work(servers, client):
    server, _ = servers["big"]
    before = client.get(f"{server.url}/healthz").json()["writer"]
    request, _ = turn_request(40)
    response = client.post(
        f"{server.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )
    assert response.status_code == 200
    after = client.get(f"{server.url}/healthz").json()["writer"]
    # Acknowledged means committed: the counters already include this export's spans.
    assert after["batches"] >= before["batches"] + 1
    assert after["items"] >= before["items"] + 6
    assert after["write_cpu_seconds"] > before["write_cpu_seconds"]
    # The summary refresh follows once the writer is idle.
    deadline = time.monotonic() + 20
    while (
        client.get(f"{server.url}/healthz").json()["writer"]["deferred_runs"]
        <= before["deferred_runs"]
    ):
        assert time.monotonic() < deadline, "the deferred summary refresh never ran"
        time.sleep(0.01)


def test_protobuf_round_trip(servers, client):
    server, db_path = servers["big"]
    request, trace_id = turn_request(1)
    response = client.post(
        f"{server.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    reply = ExportTraceServiceResponse.FromString(response.content)
    assert not reply.HasField("partial_success")
    rows = stored(db_path, trace_id)
    assert len(rows) == 6
    span_count, input_tokens, output_tokens, cost, status = trace_row(db_path, trace_id)
    assert span_count == 6 and input_tokens > 0 and output_tokens > 0 and cost > 0
    assert status == "ok"


def otlp_json(request) -> bytes:
    """OTLP JSON as exporters write it: camelCase, ids in hex."""
    data = json_format.MessageToDict(request)
    for resource_spans in data["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data).encode()


def test_json_round_trip_with_hex_ids(servers, client):
    server, db_path = servers["big"]
    request, trace_id = turn_request(2)
    response = client.post(f"{server.url}/v1/traces", content=otlp_json(request), headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    assert len(stored(db_path, trace_id)) == 6


def test_json_with_an_invalid_id_is_a_partial_success(servers, client):
    server, db_path = servers["big"]
    request, trace_id = turn_request(3)
    body = json.loads(otlp_json(request))
    body["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "not-hex!"
    response = client.post(f"{server.url}/v1/traces", json=body)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 1
    assert "span_id" in partial["errorMessage"]
    assert len(stored(db_path, trace_id)) == 5


def test_protobuf_partial_success(servers, client):
    server, db_path = servers["big"]
    trace = random.Random(4).randbytes(16)
    spans = [make_span(trace, b"\x01" * 8, "ok"), make_span(bytes(16), b"\x02" * 8, "zero trace")]
    response = client.post(
        f"{server.url}/v1/traces",
        content=make_request(spans).SerializeToString(),
        headers=PROTOBUF,
    )
    assert response.status_code == 200
    reply = ExportTraceServiceResponse.FromString(response.content)
    assert reply.partial_success.rejected_spans == 1
    assert "trace_id" in reply.partial_success.error_message
    assert len(stored(db_path, trace.hex())) == 1


def test_gzip_body(servers, client):
    server, db_path = servers["big"]
    request, trace_id = turn_request(5)
    response = client.post(
        f"{server.url}/v1/traces",
        content=gzip.compress(request.SerializeToString()),
        headers={**PROTOBUF, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert len(stored(db_path, trace_id)) == 6


def test_redelivery_is_idempotent(servers, client):
    server, db_path = servers["big"]
    request, trace_id = turn_request(6)
    body = request.SerializeToString()
    for _ in range(3):
        response = client.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
        assert response.status_code == 200
    first = trace_row(db_path, trace_id)
    assert len(stored(db_path, trace_id)) == 6
    assert first[0] == 6
    client.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
    assert trace_row(db_path, trace_id) == first


def test_out_of_order_arrival_gives_the_same_summary(servers, client):
    server, db_path = servers["big"]
    spans = agent_turn(random.Random(7), start_ns=1_700_000_000_000_000_000)
    trace_id = spans[0].trace_id.hex()
    for span in reversed(spans):  # children first, the root last
        body = make_request([span], service="support-agent").SerializeToString()
        assert client.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF).is_success
    with sqlite3.connect(db_path) as conn:
        trace = get_trace(conn, trace_id)
    assert trace is not None
    assert (trace.name, trace.span_count) == ("invoke_agent support", 6)


def test_oversize_body_is_413(servers, client):
    server, _ = servers["small"]
    spans = agent_turn(random.Random(8), start_ns=1)
    big = make_request(spans * 200).SerializeToString()
    assert len(big) > SMALL_LIMIT
    response = client.post(f"{server.url}/v1/traces", content=big, headers=PROTOBUF)
    assert response.status_code == 413


def test_gzip_bomb_is_413(servers, client):
    server, db_path = servers["small"]
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), 9)
    assert len(bomb) < SMALL_LIMIT
    response = client.post(
        f"{server.url}/v1/traces", content=bomb, headers={**PROTOBUF, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 413
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM spans").fetchone() == (0,)


def test_bounded_gunzip_never_inflates_past_the_limit():
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()
    gunzip = BoundedGunzip(limit=1024 * 1024)
    with pytest.raises(RequestError) as caught:
        for start in range(0, len(bomb), 65536):
            gunzip.feed(bomb[start : start + 65536])
    assert caught.value.status == 413
    assert len(gunzip.out) <= 1024 * 1024 + 1


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (random.Random(1).randbytes(2000), PROTOBUF),
        (None, PROTOBUF),  # truncated protobuf, built in the test
        (b"{not json", JSON),
        (b'{"resourceSpans": "nope"}', JSON),
        (b"not gzip at all", {**PROTOBUF, "Content-Encoding": "gzip"}),
    ],
    ids=["random-bytes", "truncated-protobuf", "bad-json", "wrong-json-shape", "bad-gzip"],
)
def test_undecodable_bodies_are_400(servers, client, body, headers):
    server, db_path = servers["small"]
    if body is None:
        request, _ = turn_request(9)
        full = request.SerializeToString()
        body = full[: len(full) // 2]
    response = client.post(f"{server.url}/v1/traces", content=body, headers=headers)
    assert response.status_code == 400
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM spans").fetchone() == (0,)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {},
        {**PROTOBUF, "Content-Encoding": "br"},
    ],
    ids=["text-plain", "no-content-type", "unknown-encoding"],
)
def test_unsupported_media_is_415(servers, client, headers):
    server, _ = servers["small"]
    request, _ = turn_request(10)
    response = client.post(
        f"{server.url}/v1/traces", content=request.SerializeToString(), headers=headers
    )
    assert response.status_code == 415


def _slow_writer(delay: float):
    def write(db, rows):
        time.sleep(delay)
        write_spans(db, rows)

    return write


def test_full_queue_is_503_with_retry_after(tmp_path):
    app = create_app(db_path=tmp_path / "w.db", max_queue=1, write_batch=_slow_writer(0.5))
    results: list[httpx.Response] = []
    with serve_in_thread(app) as server:

        def send(seed: int) -> None:
            request, _ = turn_request(100 + seed)
            with httpx.Client(trust_env=False, timeout=10) as http:
                results.append(
                    http.post(
                        f"{server.url}/v1/traces",
                        content=request.SerializeToString(),
                        headers=PROTOBUF,
                    )
                )

        threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    codes = sorted(response.status_code for response in results)
    assert 503 in codes and 200 in codes
    assert all(r.headers.get("retry-after") == "1" for r in results if r.status_code == 503)
    with sqlite3.connect(tmp_path / "w.db") as conn:
        stored_traces = conn.execute("SELECT count(*) FROM traces").fetchone()[0]
    assert stored_traces == codes.count(200)


def test_failed_write_is_never_acknowledged_and_nothing_is_half_stored(tmp_path):
    def fail_midway(db, rows):
        write_spans(db, rows[:3])
        raise RuntimeError("disk on fire")

    app = create_app(db_path=tmp_path / "w.db", write_batch=fail_midway)
    request, _ = turn_request(11)
    with serve_in_thread(app) as server, httpx.Client(trust_env=False) as http:
        response = http.post(
            f"{server.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    with sqlite3.connect(tmp_path / "w.db") as conn:
        assert conn.execute("SELECT count(*) FROM spans").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM traces").fetchone() == (0,)


def test_a_collector_stopped_at_exit_closes_its_store(tmp_path):
    """Stopped by an atexit handler (after the interpreter refuses new executor work), the
    collector still closes its writer and checkpointer: no error, no WAL file left."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    db = tmp_path / "exit.db"
    code = (
        "import atexit; from pathlib import Path\n"
        "from workbench.core.collector.server import start_collector\n"
        f"server = start_collector(db_path=Path({str(db)!r}))\n"
        "atexit.register(server.stop)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "RuntimeError" not in result.stderr, result.stderr
    assert db.exists() and not db.with_name("exit.db-wal").exists()

"""Worker processes: the same rows as in-process decoding, and failures answered with 503."""

from __future__ import annotations

import asyncio
import gzip
import json
import marshal
import random
import sqlite3
import sys
import time

import httpx
import pytest

from tests.core.test_collector_receiver import otlp_json
from workbench.core.collector.app import create_app
from workbench.core.collector.decode import RequestError
from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.staging import staged_rows
from workbench.core.collector.synthetic import agent_turn, make_request, make_span
from workbench.core.collector.workers import (
    NormalizePool,
    WorkerFailed,
    normalize_body,
    unpack,
)
from workbench.core.serving import serve_in_thread

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TRACE_COLUMNS = (
    "trace_id, service, name, start_ns, end_ns, duration_ms, status, input_tokens, "
    "output_tokens, cached_tokens, cost_usd, span_count, session_id, variant, models"
)


STARTED = "import sys, time; sys.stdout.buffer.write(b'R'); sys.stdout.flush(); "
# A worker that dies mid-job, as one killed by the OOM killer would.
CRASH = [sys.executable, "-c", STARTED + "sys.stdin.buffer.read(5); sys.exit(3)"]
# A worker that never answers.
HANG = [sys.executable, "-c", STARTED + "sys.stdin.buffer.read(5); time.sleep(60)"]
# A worker that cannot even start (say, it cannot import the workbench).
BROKEN = [sys.executable, "-c", "raise SystemExit(1)"]


def started(pool: NormalizePool, timeout: float = 30.0) -> NormalizePool:
    """The pool, once its first worker process is ready (so exports go to workers)."""
    pool.start()
    deadline = time.monotonic() + timeout
    while not pool.ready and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.ready, "no worker process started"
    return pool


def exports(seed: int, turns: int) -> list:
    """Export requests of a few agent turns, one turn split across two of them."""
    rng = random.Random(seed)
    spans = []
    for turn in range(turns):
        spans += agent_turn(rng, start_ns=1_700_000_000_000_000_000 + turn * 10**9)
    spans.append(make_span(rng.randbytes(16), rng.randbytes(8), "no parent, no attributes"))
    half = len(spans) // 2 + 3  # not on a turn boundary
    return [
        make_request(spans[:half], service="support-agent"),
        make_request(spans[half:], service="support-agent"),
    ]


def test_worker_answers_are_the_in_process_rows():
    request = exports(1, 20)[0]
    body = request.SerializeToString()
    for media, payload in (
        ("application/x-protobuf", body),
        ("application/json", otlp_json(request)),
    ):
        here = normalize_request(request)
        for stage_rows in (False, True):
            answer = normalize_body(payload, media, stage_rows=stage_rows)
            from_worker = unpack(marshal.loads(marshal.dumps(answer)))
            assert from_worker.rejected == 0 and from_worker.span_count == len(here.rows)
            if stage_rows:
                assert from_worker.rows == [] and from_worker.staged is not None
                assert staged_rows(from_worker.staged) == here.rows  # values and types
            else:
                assert from_worker.rows == here.rows and from_worker.staged is None
    with pytest.raises(RequestError) as caught:
        unpack(normalize_body(b"\xff" * 40, "application/x-protobuf"))
    assert caught.value.status == 400


def dump(db_path) -> tuple[list, list]:
    with sqlite3.connect(db_path) as conn:
        spans = conn.execute("SELECT * FROM spans ORDER BY trace_id, span_id").fetchall()
        traces = conn.execute(f"SELECT {TRACE_COLUMNS} FROM traces ORDER BY trace_id").fetchall()
    return spans, traces


@pytest.mark.slow
def test_worker_processes_store_exactly_what_in_process_decoding_stores(tmp_path):
    requests = exports(2, 120)
    bodies = [
        (request.SerializeToString(), PROTOBUF) for request in requests
    ] + [  # gzip and JSON take the same path once decompressed
        (gzip.compress(requests[0].SerializeToString()), {**PROTOBUF, "Content-Encoding": "gzip"}),
        (otlp_json(requests[1]), {"Content-Type": "application/json"}),
    ]
    results = {}
    pool = started(NormalizePool(1))
    for name, options in (
        ("here", {"workers": 0}),
        ("workers", {"offload_bytes": 0, "pool": pool}),
    ):
        app = create_app(db_path=tmp_path / f"{name}.db", **options)
        with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=30) as http:
            for body, headers in bodies:
                response = http.post(f"{server.url}/v1/traces", content=body, headers=headers)
                assert response.status_code == 200, response.text
        results[name] = dump(tmp_path / f"{name}.db")
    assert pool.started == 1 and pool._threads is None  # used, then closed with the app
    assert results["workers"] == results["here"]
    spans, traces = results["here"]
    assert len(spans) == 120 * 6 + 1 and len(traces) == 121


@pytest.mark.slow
def test_a_dying_worker_is_503_and_the_next_export_is_stored(tmp_path):
    pool = started(NormalizePool(1, command=CRASH))
    app = create_app(db_path=tmp_path / "w.db", pool=pool, offload_bytes=0)
    body = exports(3, 3)[0].SerializeToString()
    with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=30) as http:
        response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "worker" in response.content.decode(errors="replace")
        with sqlite3.connect(tmp_path / "w.db") as conn:
            assert conn.execute("SELECT count(*) FROM spans").fetchone() == (0,)
        # A new worker starts in its place; a healthy one now stores the export.
        pool._command = NormalizePool(1)._command
        response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
        assert response.status_code == 200
    assert len(dump(tmp_path / "w.db")[0]) > 0


def test_workers_that_cannot_start_leave_decoding_to_the_receiver(tmp_path):
    pool = NormalizePool(1, command=BROKEN)
    app = create_app(db_path=tmp_path / "w.db", pool=pool, offload_bytes=0)
    bodies = [request.SerializeToString() for request in exports(7, 3)]
    with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=30) as http:
        for body in bodies:
            response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
            assert response.status_code == 200
    assert pool.started == 0 and not pool.available
    assert len(dump(tmp_path / "w.db")[0]) == 3 * 6 + 1


class SlowStart:
    """A pool whose workers take long to start, counting what it was asked to decode."""

    available, ready, jobs, starts, workers, started, alive = True, False, 0, 0, 1, 0, 0

    def start(self) -> None:
        self.starts += 1

    async def normalize(self, body: bytes, media: str):
        self.jobs += 1
        raise AssertionError("no worker is ready")

    def close(self) -> None:
        pass


def test_large_exports_decode_here_while_workers_start(tmp_path):
    pool = SlowStart()
    app = create_app(db_path=tmp_path / "w.db", pool=pool, offload_bytes=0)
    body = exports(8, 3)[0].SerializeToString()
    with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=10) as http:
        for _ in range(2):
            response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
            assert response.status_code == 200
        health = http.get(f"{server.url}/healthz").json()
    assert health["decode_workers"] == {"size": 1, "started": 0, "alive": 0, "available": True}
    assert pool.starts == 2 and pool.jobs == 0
    assert len(dump(tmp_path / "w.db")[0]) == len(
        exports(8, 3)[0].resource_spans[0].scope_spans[0].spans
    )


def test_workers_start_in_the_background_and_close_cleanly():
    pool = started(NormalizePool(2))
    deadline = time.monotonic() + 30
    while pool.started < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.started == 2
    workers = list(pool._started)
    body = exports(9, 2)[0].SerializeToString()
    assert asyncio.run(pool.normalize(body, "application/x-protobuf")).span_count
    pool.close()
    assert all(not worker.alive for worker in workers)
    pool.start()  # a closed pool starts nothing
    assert pool.started == 2


def test_small_exports_never_start_a_worker(tmp_path):
    pool = NormalizePool(1, command=CRASH)
    app = create_app(db_path=tmp_path / "w.db", pool=pool)
    body = make_request(agent_turn(random.Random(4), start_ns=1)).SerializeToString()
    with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=10) as http:
        response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
    assert response.status_code == 200
    assert pool.started == 0


def test_too_many_waiting_bytes_are_refused_without_a_worker():
    pool = NormalizePool(1, max_pending_bytes=100, command=CRASH)
    pool._pending_bytes = 60  # another export is waiting for a worker
    with pytest.raises(WorkerFailed, match="too many"):
        asyncio.run(pool.normalize(b"x" * 41, "application/x-protobuf"))
    assert pool.started == 0 and pool._pending_bytes == 60


def test_a_hung_worker_is_stopped_and_reported():
    pool = NormalizePool(1, timeout=0.5, command=HANG)
    # "hung", not "died": the watchdog stopped it, rather than the 60 s sleep ending.
    with pytest.raises(WorkerFailed, match="hung"):
        asyncio.run(pool.normalize(b"x" * 10, "application/x-protobuf"))
    (worker,) = pool._started
    assert not worker.alive
    pool.close()


def test_workers_end_when_the_pipe_closes():
    """A receiver that dies closes the pipes: its workers must not linger as orphans."""
    pool = NormalizePool(1)
    body = exports(6, 2)[0].SerializeToString()
    normalized = asyncio.run(pool.normalize(body, "application/x-protobuf"))
    assert normalized.span_count
    (worker,) = pool._started
    worker.process.stdin.close()  # what the kernel does when the receiver dies
    assert worker.process.wait(timeout=10) == 0
    pool.close()


def test_custom_overrides_cannot_go_to_workers():
    with pytest.raises(ValueError, match="worker"):
        create_app(overrides_for=lambda service: None, workers=1)
    create_app(overrides_for=lambda service: None)  # decodes in this process


def test_json_body_through_the_pool_keeps_partial_success():
    request = exports(5, 2)[0]
    data = json.loads(otlp_json(request))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = ""
    normalized = unpack(normalize_body(json.dumps(data).encode(), "application/json"))
    assert normalized.rejected == 1 and "trace_id" in normalized.error_message
    assert normalized.span_count == len(request.resource_spans[0].scope_spans[0].spans) - 1


def deeply_nested_json(depth: int) -> bytes:
    """An OTLP/JSON body whose ``resourceSpans`` nests ``depth`` arrays deep."""
    return b'{"resourceSpans": ' + b"[" * depth + b"]" * depth + b"}"


def test_deeply_nested_json_is_400_in_process_and_in_workers(tmp_path):
    """Past the interpreter's recursion limit json.loads raises RecursionError: a 400, in the
    receiver (small bodies) and in a worker (large ones), and no worker dies of it."""
    pool = NormalizePool(2)
    app = create_app(db_path=tmp_path / "w.db", pool=pool)
    small, large = deeply_nested_json(1_100), deeply_nested_json(40_000)
    assert len(small) < 32 * 1024 <= len(large)
    headers = {"Content-Type": "application/json"}
    with serve_in_thread(app) as server, httpx.Client(trust_env=False, timeout=30) as http:
        response = http.post(f"{server.url}/v1/traces", content=small, headers=headers)
        assert response.status_code == 400 and "nested too deeply" in response.text
        pool.start()
        deadline = time.monotonic() + 60
        while pool.alive < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert http.get(f"{server.url}/healthz").json()["decode_workers"]["alive"] == 2
        for _ in range(4):
            response = http.post(f"{server.url}/v1/traces", content=large, headers=headers)
            assert response.status_code == 400, response.text
            assert "nested too deeply" in response.text
        health = http.get(f"{server.url}/healthz").json()["decode_workers"]
        assert health["started"] == 2 and health["alive"] == 2, health
        good = exports(12, 40)[0]
        body = good.SerializeToString()
        assert len(body) >= 32 * 1024  # this one goes to a worker too
        response = http.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
        assert response.status_code == 200
    spans = good.resource_spans[0].scope_spans[0].spans
    assert len(dump(tmp_path / "w.db")[0]) == len(spans)

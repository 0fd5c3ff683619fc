"""Forwarding accepted exports upstream: unchanged bytes, retries, Retry-After, drops, counters.

The upstreams are real HTTP servers on 127.0.0.1 (Starlette under uvicorn) that
record what they receive and answer as told; "down" is a port nothing listens on.
"""

from __future__ import annotations

import gzip
import random
import sqlite3
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workbench.core.collector.forward import (
    ForwardConfig,
    forward_config,
    parse_header_list,
    parse_headers,
    retry_after,
)
from workbench.core.collector.server import start_collector
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.core.serving import free_port, serve_in_thread
from workbench.errors import WorkbenchError
from workbench.settings import get_settings

PROTOBUF = "application/x-protobuf"
FAST = {"wait_initial_s": 0.05, "wait_max_s": 0.2, "timeout_s": 2.0}


class Upstream:
    """A real OTLP/HTTP endpoint that answers each request with the next scripted reply."""

    def __init__(self, replies: list[tuple[int, dict[str, str]]] | None = None) -> None:
        self.replies = list(replies or [])
        self.received: list[dict] = []
        self.answered: list[int] = []
        self.changed = threading.Condition()

        async def receive(request: Request) -> Response:
            body = await request.body()
            status, headers = self.replies.pop(0) if self.replies else (200, {})
            with self.changed:
                self.received.append(
                    {
                        "path": request.url.path,
                        "body": body,
                        "headers": dict(request.headers),
                        "at": time.monotonic(),
                    }
                )
                self.answered.append(status)
                self.changed.notify_all()
            return Response(b"", status_code=status, headers=headers)

        app = Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
        self.server = serve_in_thread(app, name="test upstream")
        self.url = self.server.url

    def wait_for(self, predicate, timeout: float = 30.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self), timeout), self.answered


def export_body(seed: int) -> tuple[bytes, str]:
    spans = agent_turn(random.Random(seed), start_ns=1_700_000_000_000_000_000 + seed)
    request = make_request(spans, service="support-agent")
    return request.SerializeToString(), spans[0].trace_id.hex()


def health(collector) -> dict:
    return httpx.get(f"{collector.url}/healthz", timeout=5, trust_env=False).json()


def wait_health(collector, predicate, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = health(collector)
        if predicate(body["forward"]) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def stored_spans(db_path, trace_id: str) -> int:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT COUNT(*) FROM spans WHERE trace_id = ?", (trace_id,))
        return row.fetchone()[0]


@pytest.fixture
def collector_for(tmp_path):
    started = []

    def start(config: ForwardConfig):
        collector = start_collector(db_path=tmp_path / "wb.db", forward=config)
        started.append(collector)
        return collector, tmp_path / "wb.db"

    yield start
    for collector in started:
        collector.stop()


def test_an_export_goes_upstream_unchanged_after_503s_honouring_retry_after(collector_for):
    upstream = Upstream([(503, {"Retry-After": "1"}), (429, {"Retry-After": "0"})])
    config = ForwardConfig(
        url=f"{upstream.url}/otlp/", headers={"Authorization": "Bearer s3cret"}, **FAST
    )
    collector, db = collector_for(config)
    body, trace_id = export_body(1)
    compressed = gzip.compress(body)
    answer = httpx.post(
        f"{collector.url}/v1/traces",
        content=compressed,
        headers={"Content-Type": PROTOBUF, "Content-Encoding": "gzip"},
        trust_env=False,
    )
    assert answer.status_code == 200
    assert stored_spans(db, trace_id) > 0  # stored locally before any upstream answer
    upstream.wait_for(lambda u: 200 in u.answered)
    assert upstream.answered == [503, 429, 200]
    first, _, last = upstream.received
    # Retry-After: 1 was honoured (the default first backoff is 0.05 s).
    assert upstream.received[1]["at"] - first["at"] >= 0.9
    assert last["path"] == "/otlp/v1/traces"
    assert last["body"] == compressed  # the same bytes, still gzipped
    assert last["headers"]["content-type"] == PROTOBUF
    assert last["headers"]["content-encoding"] == "gzip"
    assert last["headers"]["authorization"] == "Bearer s3cret"
    counters = wait_health(collector, lambda f: f["forwarded"] == 1)["forward"]
    assert counters["forwarded"] == 1 and counters["retried"] == 2
    assert counters["dropped"] == 0 and counters["backlog"] == 0
    assert "s3cret" not in str(health(collector))


def test_with_the_upstream_down_ingest_goes_on_and_healthz_shows_backlog_and_drops(
    collector_for,
):
    down = f"http://127.0.0.1:{free_port()}"
    collector, db = collector_for(ForwardConfig(url=down, max_queue=3, attempts=1000, **FAST))
    trace_ids = []
    for seed in range(8):
        body, trace_id = export_body(seed)
        answer = httpx.post(
            f"{collector.url}/v1/traces",
            content=body,
            headers={"Content-Type": PROTOBUF},
            trust_env=False,
        )
        assert answer.status_code == 200
        trace_ids.append(trace_id)
    assert all(stored_spans(db, trace_id) > 0 for trace_id in trace_ids)
    counters = wait_health(collector, lambda f: f["retried"] > 0)["forward"]
    # One export in flight (retrying), three queued, the oldest queued ones dropped.
    assert counters["backlog"] + counters["dropped"] == 8
    assert counters["backlog"] in (3, 4) and counters["dropped"] >= 4
    assert counters["forwarded"] == 0 and "Connection refused" in counters["last_error"]


def test_an_export_the_upstream_refuses_is_not_retried(collector_for):
    upstream = Upstream([(400, {})])
    collector, _ = collector_for(ForwardConfig(url=upstream.url, **FAST))
    body, _ = export_body(3)
    httpx.post(
        f"{collector.url}/v1/traces",
        content=body,
        headers={"Content-Type": PROTOBUF},
        trust_env=False,
    )
    counters = wait_health(collector, lambda f: f["rejected"] == 1)["forward"]
    assert counters["retried"] == 0 and counters["forwarded"] == 0
    assert upstream.answered == [400]


def test_exports_the_collector_refuses_and_healthz_are_not_forwarded(collector_for):
    upstream = Upstream()
    collector, _ = collector_for(ForwardConfig(url=upstream.url, **FAST))
    bad = httpx.post(
        f"{collector.url}/v1/traces",
        content=b"\x00not protobuf",
        headers={"Content-Type": PROTOBUF},
        trust_env=False,
    )
    assert bad.status_code == 400
    logs = httpx.post(
        f"{collector.url}/v1/logs",
        content=b"{}",
        headers={"Content-Type": "application/json"},
        trust_env=False,
    )
    assert logs.status_code == 200
    upstream.wait_for(lambda u: len(u.received) == 1)
    assert upstream.received[0]["path"] == "/v1/logs" and upstream.received[0]["body"] == b"{}"
    assert health(collector)["forward"]["forwarded"] == 1


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("3") == 3.0 and retry_after(None) is None and retry_after("soon") is None
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (retry_after(date) or 0) <= 31


def test_urls_and_headers_are_checked_and_secrets_kept_out_of_errors(monkeypatch):
    with pytest.raises(WorkbenchError, match="expected an http"):
        ForwardConfig(url="localhost:4318")
    config = ForwardConfig(url="https://user:pw@example.com:4318/otlp/v1/traces?key=k")
    assert config.display_url == "https://example.com:4318/otlp/v1/traces"
    assert config.target("/v1/logs") == "https://user:pw@example.com:4318/otlp/v1/logs?key=k"
    with pytest.raises(WorkbenchError) as caught:
        parse_headers(["Authorization Bearer topsecret"])
    assert "topsecret" not in caught.value.message
    assert parse_header_list("a=b%20c, x=y", where="X") == {"a": "b c", "x": "y"}
    assert forward_config() is None
    monkeypatch.setenv("WORKBENCH_COLLECT_FORWARD", "http://127.0.0.1:6006")
    monkeypatch.setenv("WORKBENCH_COLLECT_FORWARD_HEADERS", "api_key=abc,x-tenant=t1")
    get_settings.cache_clear()
    config = forward_config(header_pairs=["x-tenant=t2"])
    assert config is not None and config.url == "http://127.0.0.1:6006"
    assert config.headers == {"api_key": "abc", "x-tenant": "t2"}
    monkeypatch.setenv("TEAM_HEADERS", "Authorization=Basic%20eHl6")
    assert forward_config(headers_env="TEAM_HEADERS").headers == {"Authorization": "Basic eHl6"}
    with pytest.raises(WorkbenchError, match="NOPE is unset"):
        forward_config(headers_env="NOPE")

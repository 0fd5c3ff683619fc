"""The HTTP service: health, readiness, auth, rate limit, run, stream and approvals."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from fastapi.testclient import TestClient

from support_agent.api.app import create_app

KEY = {"X-API-Key": "test-key"}


@pytest.fixture
def client(configure):
    def make(**overrides):
        configure(**overrides)
        return TestClient(create_app())

    return make


def test_healthz_needs_no_key(client):
    with client() as http:
        response = http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}])
def test_agent_routes_need_a_valid_key(client, headers):
    with client() as http:
        response = http.post("/agent/run", json={"input": "hi"}, headers=headers)
    assert response.status_code == 401


def test_run(client, model):
    model.add("Hello from the agent.")
    with client() as http:
        response = http.post(
            "/agent/run",
            json={"input": "Hi", "session_id": "web-1"},
            headers={**KEY, "X-Request-ID": "req-1"},
        )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-1"
    body = response.json()
    assert body["status"] == "ok" and body["output"] == "Hello from the agent."
    assert len(body["trace_id"]) == 32


def test_every_response_carries_its_request_id(client):
    with client() as http:
        refused = http.post("/agent/run", json={"input": "hi"})
        health = http.get("/healthz", headers={"X-Request-ID": "req-2"})
    # A refusal gets a fresh id; a client's own id comes back unchanged.
    assert refused.status_code == 401
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])
    assert health.headers["X-Request-ID"] == "req-2"


@pytest.mark.parametrize(("source", "expected"), [(None, "real"), ("mock", "mock")])
def test_the_service_tags_its_spans_with_the_model_source(
    client, model, spans, monkeypatch, source, expected
):
    if source:
        monkeypatch.setenv("WORKBENCH_MODEL_SOURCE", source)
    model.add("Hello from the agent.")
    with client() as http:
        response = http.post("/agent/run", json={"input": "Hi"}, headers=KEY)
    assert response.status_code == 200
    assert {s.attributes["workbench.model_source"] for s in spans.all()} == {expected}


def test_rate_limit(client, model):
    model.add("one", "two", "three")
    with client(rate_limit="2/minute") as http:
        codes = [
            http.post("/agent/run", json={"input": f"hi {i}"}, headers=KEY).status_code
            for i in range(3)
        ]
        limited = http.post("/agent/run", json={"input": "again"}, headers=KEY)
    assert codes == [200, 200, 429]
    assert int(limited.headers["Retry-After"]) >= 1


def test_stream_sends_server_sent_events(client, model):
    model.add(model.tool("lookup_order", order_id="12345"), "Order 12345 was delivered.")
    with (
        client() as http,
        http.stream("POST", "/agent/stream", json={"input": "Order 12345?"}, headers=KEY) as resp,
    ):
        assert resp.headers["content-type"].startswith("text/event-stream")
        text = "".join(resp.iter_text())
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    kinds = [lines[0].removeprefix("event: ") for lines in events]
    assert kinds[0] == "step" and "tool_call" in kinds and kinds[-1] == "result"
    assert "delta" in kinds
    result = json.loads(events[-1][1].removeprefix("data: "))
    assert result["status"] == "ok" and result["tool_calls"][0]["name"] == "lookup_order"


def test_users_can_report_a_problem(client):
    from support_agent.infra.state import get_state

    report = {"trace_id": "ab" * 16, "rating": -1, "comment": "Wrong! mail me at a@b.co"}
    with client() as http:
        accepted = http.post("/feedback", json=report, headers=KEY)
        rejected = http.post("/feedback", json={"rating": 1}, headers=KEY)
    assert accepted.status_code == 202
    assert rejected.status_code == 422
    stored = asyncio.run(get_state().feedback())
    assert stored[0]["trace_id"] == "ab" * 16 and "a@b.co" not in stored[0]["comment"]

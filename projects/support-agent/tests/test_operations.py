"""Operations: readiness and warm-up, Prometheus metrics, JSON-only logs, a free event loop."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from support_agent.api import readiness
from support_agent.api.app import create_app
from support_agent.infra import guardrails
from support_agent.infra.state import get_state
from support_agent.tools.shop import get_registry

KEY = {"X-API-Key": "test-key"}
PROJECT = Path(__file__).resolve().parents[1]
# Only reached when the behaviour under test is broken.
HOLD_S = 20
# Nothing listens on the discard port: a model endpoint that is down.
DOWN = "http://127.0.0.1:9/v1"


@pytest.fixture
def client(configure):
    def make(**overrides: Any) -> TestClient:
        configure(**overrides)
        return TestClient(create_app())

    return make


def wait_for(read: Callable[[], Any], ok: Callable[[Any], bool], tries: int = 400) -> Any:
    """Read until `ok(value)`, pausing briefly between reads; the last value otherwise."""
    value = read()
    for _ in range(tries):
        if ok(value):
            break
        threading.Event().wait(0.05)
        value = read()
    return value


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_readiness_waits_for_the_warm_up_and_not_for_the_model(client, monkeypatch):
    warm_up_may_finish = threading.Event()

    async def held() -> str:
        await asyncio.to_thread(warm_up_may_finish.wait, HOLD_S)
        return "released"

    monkeypatch.setitem(readiness.WARMUP_STEPS, "held", held)
    with client(llm_api_base=DOWN) as http:
        warming = http.get("/readiness")
        alive = http.get("/healthz")
        warm_up_may_finish.set()
        ready = wait_for(lambda: http.get("/readiness"), lambda r: r.status_code == 200)
        model = wait_for(
            lambda: http.get("/readiness").json()["checks"]["model"], lambda m: m["ok"] is False
        )
        exposition = samples(http.get("/metrics").text)
    assert warming.status_code == 503
    assert warming.json()["checks"]["warmup"] == {"ok": False, "detail": "in progress"}
    assert alive.status_code == 200
    assert ready.status_code == 200, ready.json()
    assert {"warmup", "state", "prompts", "model"} <= set(ready.json()["checks"])
    # The shared model endpoint is down: reported, alertable, but the pod stays in rotation.
    assert model["ok"] is False and model["affects_readiness"] is False
    assert exposition[("agent_model_endpoint_up", frozenset())] == 0
    assert exposition[("agent_ready", frozenset())] == 1
    assert exposition[("agent_warmup_duration_seconds", frozenset())] > 0


def test_a_failing_warm_up_step_keeps_the_pod_out_of_rotation_until_it_succeeds(
    client, monkeypatch
):
    may_succeed = threading.Event()

    async def flaky() -> str:
        if not may_succeed.is_set():
            raise OSError("prompts volume not mounted")
        return "mounted"

    monkeypatch.setitem(readiness.WARMUP_STEPS, "flaky", flaky)
    with client() as http:
        failing = wait_for(
            lambda: http.get("/readiness"),
            lambda r: "not mounted" in r.json()["checks"]["warmup"]["detail"],
        )
        may_succeed.set()
        recovered = wait_for(lambda: http.get("/readiness"), lambda r: r.status_code == 200)
    assert failing.status_code == 503
    assert "flaky: OSError" in failing.json()["checks"]["warmup"]["detail"]
    assert recovered.status_code == 200, recovered.json()


def test_an_unreachable_state_store_fails_readiness(client, monkeypatch):
    with client() as http:
        ready = wait_for(lambda: http.get("/readiness"), lambda r: r.status_code == 200)

        async def down(self: Any) -> None:
            raise ConnectionError("state store unreachable")

        monkeypatch.setattr(type(get_state()), "ping", down)
        broken = http.get("/readiness")
    assert ready.status_code == 200
    assert broken.status_code == 503
    assert broken.json()["checks"]["state"]["ok"] is False


def test_readiness_shows_no_details_outside_development(client):
    keys = {
        "api_keys": "client-key-0123456789abcdef",
        "approver_keys": "approver-key-0123456789abcdef",
        "operator_keys": "operator-key-0123456789abcdef",
    }
    with client(environment="staging", **keys) as http:
        response = wait_for(lambda: http.get("/readiness"), lambda r: r.status_code == 200)
    assert response.json() == {"status": "ready"}


def test_metrics_count_requests_turns_tokens_cost_tools_and_breakers(client, model):
    model.add(
        model.tool("lookup_order", order_id="12345"),
        model.reply("It was delivered.", input_tokens=100, output_tokens=7),
    )
    with client() as http:
        before = samples(http.get("/metrics").text)
        ran = http.post("/agent/run", json={"input": "Where is order 12345?"}, headers=KEY)
        http.get("/agent/approvals/not-a-route/at-all")
        get_registry().breakers["lookup_order"].open()
        scraped = http.get("/metrics")
    after = samples(scraped.text)
    assert ran.status_code == 200, ran.json()
    answered = ran.json()["model"]

    def grew(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert scraped.headers["content-type"].startswith("text/plain")
    assert grew("agent_http_requests_total", route="/agent/run", method="POST", status="200") == 1
    assert grew("agent_http_request_duration_seconds_count", route="/agent/run", method="POST") == 1
    assert grew("agent_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert grew("agent_turns_total", status="ok") == 1
    assert grew("agent_model_calls_total", model=answered, outcome="ok") == 2
    assert grew("agent_tokens_total", model=answered, direction="input") == 220
    assert grew("agent_tokens_total", model=answered, direction="output") == 27
    assert grew("agent_cost_usd_total", model=answered) > 0
    assert grew("agent_tool_calls_total", tool="lookup_order", status="ok") == 1
    breaker = "agent_circuit_breaker_state"
    assert after[(breaker, frozenset({("tool", "lookup_order")}))] == 2
    assert after[(breaker, frozenset({("tool", "check_return_eligibility")}))] == 0


def test_failed_model_calls_and_turns_are_counted(client, model):
    model.add(*[model.error("BadRequestError", "gpt-4o-mini")] * 4)
    with client() as http:
        before = samples(http.get("/metrics").text)
        http.post("/agent/run", json={"input": "hi"}, headers=KEY)
        after = samples(http.get("/metrics").text)

    def grew(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("agent_model_calls_total", model="gpt-4o-mini", outcome="error") == 1
    assert grew("agent_turns_total", status="error") == 1
    failures = grew(
        "agent_model_attempt_failures_total", model="gpt-4o-mini", error_type="BadRequestError"
    )
    assert failures >= 1


def test_budget_usage_and_refusals_are_published(client, model):
    model.add("Hello!")
    with client(budgets={"usd_per_day": 1.0}) as http:
        http.post("/agent/run", json={"input": "hi"}, headers=KEY)
        spent = samples(http.get("/metrics").text)
    with client(budgets={"usd_per_day": 1e-9}) as http:
        refused = http.post("/agent/run", json={"input": "hi again"}, headers=KEY)
        capped = samples(http.get("/metrics").text)
    day = frozenset({("kind", "usd_per_day")})
    assert 0 < spent[("agent_budget_used", day)] < 1.0
    assert spent[("agent_budget_limit", day)] == 1.0
    assert refused.json()["status"] == "budget_exceeded"
    assert capped[("agent_budget_limit", day)] == 1e-9
    exceeded = ("agent_budget_exceeded_total", day)
    assert capped[exceeded] - spent.get(exceeded, 0) == 1


def test_metrics_can_require_a_bearer_token(client):
    with client(metrics_token="scrape-secret-0123") as http:
        refused = http.get("/metrics")
        wrong = http.get("/metrics", headers={"Authorization": "Bearer nope"})
        allowed = http.get("/metrics", headers={"Authorization": "Bearer scrape-secret-0123"})
    assert refused.status_code == wrong.status_code == 401
    assert allowed.status_code == 200 and "agent_http_requests_total" in allowed.text


def test_healthz_answers_while_a_large_request_is_checked(configure, live_server, monkeypatch):
    """The input guardrails hold a large request at a gate only /healthz can open.

    Were the guardrails running on the event loop, /healthz could not be answered while they
    wait, the gate would time out and `opened_by_healthz` would be False.
    """
    configure()
    checking, healthz_answered = threading.Event(), threading.Event()
    opened_by_healthz: list[bool] = []
    real = guardrails.check_input

    def gated(text: str, max_chars: int) -> Any:
        if len(text) > 100_000 and not checking.is_set():
            checking.set()
            opened_by_healthz.append(healthz_answered.wait(HOLD_S))
        return real(text, max_chars)

    url = live_server(create_app())
    large = "Where is my order? " * 50_000  # ~950 kB, under the 1 MiB body cap
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(
            httpx.post(url + "/agent/run", json={"input": large}, headers=KEY, timeout=60)
        )

    monkeypatch.setattr(guardrails, "check_input", gated)
    poster = threading.Thread(target=post)
    poster.start()
    assert checking.wait(HOLD_S), "the large request never reached the guardrails"
    health = httpx.get(url + "/healthz", timeout=HOLD_S)
    healthz_answered.set()
    poster.join(HOLD_S * 2)
    assert health.status_code == 200
    assert opened_by_healthz == [True]
    assert answers and answers[0].json()["status"] == "blocked"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_log_line_is_json_when_the_model_fails(tmp_path):
    """A real uvicorn process, a model endpoint that refuses connections: litellm's own
    error lines, uvicorn's start-up and access lines and the service's all parse as JSON."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OTEL_"))}
    env.update(
        PYTHONPATH=str(PROJECT / "src"),
        AGENT_ENVIRONMENT="development",
        AGENT_API_KEYS="test-key",
        AGENT_LLM_API_BASE=DOWN,
        AGENT_LLM_NUM_RETRIES="1",
        AGENT_STATE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}",
        AGENT_MEMORY_PATH=str(tmp_path / "memory.sqlite3"),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "support_agent.api.app:app", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    # One client for all the polls: `httpx.get` builds a new client, TLS context included,
    # per request, which costs more CPU than the server spends starting.
    try:
        with httpx.Client(base_url=base, timeout=5) as http:

            def get_ready() -> int:
                try:
                    return http.get("/readiness").status_code
                except httpx.TransportError:
                    return 0

            assert wait_for(get_ready, lambda code: code == 200, tries=1200) == 200
            failed = http.post("/agent/run", json={"input": "hi"}, headers=KEY, timeout=60)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=60)
    assert failed.json()["status"] == "error"
    lines = [line for line in (stdout + stderr).splitlines() if line.strip()]
    not_json = []
    for line in lines:
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            not_json.append(line)
    assert not not_json, "\n".join(not_json[:10])
    records = [json.loads(line) for line in lines]
    assert any(r.get("logger", "").startswith("LiteLLM") for r in records), records[-5:]
    assert any(r.get("logger") == "uvicorn.access" for r in records)
    assert any(r.get("event") == "llm_failed" for r in records)


def test_python_warnings_and_library_records_are_json_lines():
    code = (
        "import logging, warnings\n"
        "from support_agent.infra.logs import configure_logging, get_logger\n"
        "configure_logging('INFO')\n"
        "warnings.warn('an old API', UserWarning)\n"
        "logging.getLogger('LiteLLM').warning('plain %s', 'text')\n"
        "get_logger('agent').info('ours', api_key='sk-not-printed')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env["PYTHONPATH"] = str(PROJECT / "src")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
    assert [r.get("logger") for r in records[:2]] == ["py.warnings", "LiteLLM"]
    assert "an old API" in records[0]["event"] and records[1]["event"] == "plain text"
    assert records[2]["event"] == "ours" and records[2]["api_key"] == "[redacted]"

"""Model calls against a real local HTTP endpoint: which failures are retried, which keys are
sent where, and how many turns survive a flaky endpoint.

The server speaks OpenAI's chat-completions API on 127.0.0.1 and counts every request per
model, so these tests see what litellm really raises for each HTTP status (a unit test that
raises `PermissionDeniedError` directly could not see that litellm 1.110 reports a 403 as a
generic `APIError`).
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from support_agent.agents import keys, llm
from support_agent.agents.entry import run_turn
from support_agent.agents.routing import ModelTarget
from support_agent.infra.settings import Models

# (status, extra headers) for one request; status 200 answers normally.
Plan = Callable[[str, int], tuple[int, dict[str, str]]]


def _ok(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the local model."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
    }


@dataclass
class LocalModel:
    """A chat-completions endpoint whose answers follow `plan` (model, nth request of it)."""

    plan: Plan = lambda model, nth: (200, {})
    requests: Counter = field(default_factory=Counter)
    authorizations: list[str | None] = field(default_factory=list)
    api_base: str = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        model = body["model"]
        nth = self.requests[model]
        self.requests[model] += 1
        self.authorizations.append(handler.headers.get("Authorization"))
        status, headers = self.plan(model, nth)
        if status == 200:
            payload = _ok(model)
        else:
            error = {"message": f"status {status} from the test", "type": "test", "code": None}
            payload = {"error": error}
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture
def local_model() -> Iterator[LocalModel]:
    """A real HTTP server on a free local port, stopped after the test."""
    served = LocalModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            served.answer(self)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    served.api_base = f"http://127.0.0.1:{server.server_port}/v1"
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


CHAIN = ("openai/gpt-4o", "openai/gpt-4o-mini")


def _target(api_base: str, **overrides: Any) -> ModelTarget:
    return ModelTarget("openai/primary", CHAIN, api_base, **overrides)


async def _call(target: ModelTarget) -> str | None:
    """One logical call; the error message when every model failed."""
    try:
        await llm.complete(target, [{"role": "user", "content": "hi"}], [], {})
    except llm.LLMError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (422, "UnprocessableEntityError"),
    ],
)
async def test_a_client_error_is_sent_once_per_model_and_never_cools_one_down(
    local_model, backoff, configure, status, kind
):
    configure(llm_num_retries=3, llm_allowed_fails=1)
    local_model.plan = lambda model, nth: (status, {})
    target = _target(local_model.api_base)
    for turn in (1, 2, 3):
        error = await _call(target)
        assert error is not None and kind in error
        # Every model of the chain (primary and both fallbacks) exactly once per turn.
        assert local_model.requests == {"primary": turn, "gpt-4o": turn, "gpt-4o-mini": turn}
    assert backoff == []


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_transient_error_is_retried_with_backoff_on_every_model(
    local_model, backoff, configure, status
):
    configure(llm_num_retries=2)
    local_model.plan = lambda model, nth: (status, {})
    error = await _call(_target(local_model.api_base))
    assert error is not None
    assert local_model.requests == {"primary": 3, "gpt-4o": 3, "gpt-4o-mini": 3}
    assert len(backoff) >= 6 and all(wait > 0 for wait in backoff)


async def test_a_retry_waits_as_long_as_retry_after_says(local_model, backoff, configure):
    configure(llm_num_retries=2, models=Models(fallbacks=[]))
    local_model.plan = lambda model, nth: (429, {"Retry-After": "2"}) if nth == 0 else (200, {})
    assert await _call(ModelTarget("openai/primary", (), local_model.api_base)) is None
    assert local_model.requests == {"primary": 2}
    assert backoff and backoff[0] >= 2


async def test_a_transient_error_that_clears_is_answered_by_the_same_model(
    local_model, backoff, spans, configure
):
    configure(llm_num_retries=3)
    local_model.plan = lambda model, nth: (503, {}) if nth < 2 else (200, {})
    assert await _call(_target(local_model.api_base)) is None
    assert local_model.requests == {"primary": 3}
    chat = spans.one("chat ")
    statuses = [e.attributes["http.response.status_code"] for e in chat.events if e.name == "retry"]
    assert statuses == [503, 503]


async def test_an_unresolvable_host_is_tried_once_without_backoff(backoff, spans, configure):
    configure(llm_num_retries=3)
    api_base = "http://no-such-host.invalid/v1"
    error = await _call(_target(api_base))
    assert error == f"model unavailable: cannot resolve {api_base}"
    # One attempt: no retry, and no fallback on the same unreachable endpoint.
    assert len([e for e in spans.one("chat ").events if e.name == "retry"]) == 1
    assert backoff == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_refused_connection_is_retried_once_and_skips_same_endpoint_fallbacks(
    backoff, spans, configure
):
    configure(llm_num_retries=3)
    api_base = f"http://127.0.0.1:{_closed_port()}/v1"
    error = await _call(_target(api_base))
    assert error == f"model unavailable: connection refused to {api_base}"
    assert len([e for e in spans.one("chat ").events if e.name == "retry"]) == 2
    assert len(backoff) >= 1


async def test_the_providers_key_never_reaches_another_host(local_model, monkeypatch, configure):
    configure()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-provider-secret")
    result = await run_turn({"input": "Hi", "model": "openai/m", "api_base": local_model.api_base})
    assert result["status"] == "ok", result["error"]
    assert local_model.authorizations
    assert not any("sk-provider-secret" in (a or "") for a in local_model.authorizations)


async def test_a_key_named_for_the_endpoint_is_sent_to_it(local_model, monkeypatch, configure):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-provider-secret")
    monkeypatch.setenv("LOCAL_SERVER_KEY", "local-secret")
    configure(llm_api_base=local_model.api_base, llm_api_key_env="LOCAL_SERVER_KEY")
    result = await run_turn({"input": "Hi", "model": "openai/m"})
    assert result["status"] == "ok", result["error"]
    assert set(local_model.authorizations) == {"Bearer local-secret"}


def test_the_providers_key_goes_to_the_providers_own_host(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-provider-secret")
    assert keys.key_for("openai/gpt-4o", "https://api.openai.com/v1", None) == "sk-provider-secret"
    assert keys.key_for("openai/gpt-4o", "http://api.openai.com/v1", None) == keys.PLACEHOLDER
    assert keys.key_for("openai/gpt-4o", "https://proxy.example/v1", None) == keys.PLACEHOLDER
    assert keys.key_for("openai/gpt-4o", None, None) is None
    assert keys.key_for("openai/gpt-4o", "https://proxy.example/v1", "named") == "named"


async def test_95_of_100_turns_survive_a_30_percent_transient_fault_rate(
    local_model, backoff, configure
):
    """The mock's global fault rate, reproduced: 429 (Retry-After 1), 500 or 503 on 30% of
    attempts, drawn per attempt. Cooldowns must not turn that into an outage."""
    configure()
    draws = random.Random(7)
    faults = [(429, {"Retry-After": "1"}), (500, {}), (503, {})]
    local_model.plan = lambda model, nth: (
        draws.choice(faults) if draws.random() < 0.3 else (200, {})
    )
    results = [
        await run_turn(
            {"input": f"Hi number {n}", "model": "openai/m", "api_base": local_model.api_base}
        )
        for n in range(100)
    ]
    succeeded = sum(result["status"] == "ok" for result in results)
    assert succeeded >= 95, Counter(str(result.get("error"))[:60] for result in results)
    assert sum(local_model.requests.values()) > 100  # faults happened and were retried


async def test_a_local_server_echoing_a_priced_name_is_not_charged_its_price(
    local_model, backoff, spans, configure
):
    configure(llm_num_retries=0)
    # The primary fails, so a fallback redirected to the same local base answers.
    local_model.plan = lambda model, nth: (503, {}) if model == "gpt-4o-mini" else (200, {})
    request = {"input": "Hi", "model": "openai/gpt-4o-mini", "api_base": local_model.api_base}
    result = await run_turn(request)
    assert result["status"] == "ok", result["error"]
    assert result["model"] == "openai/gpt-4o"
    chat = spans.one("chat ")
    assert "workbench.cost_usd" not in chat.attributes
    assert chat.attributes[llm.UNPRICED] is True
    assert result["usage"]["cost_usd"] == 0


async def test_the_mock_keeps_its_simulated_price_and_a_replay_is_free(
    local_model, spans, configure
):
    configure()
    base = {"model": "openai/gpt-4o-mini", "api_base": local_model.api_base}
    mock = {"workbench.model_source": "mock"}
    await run_turn({"input": "Hi", **base, "span_attributes": mock})
    replay = {"workbench.model_source": "replay"}
    await run_turn({"input": "Hello", **base, "span_attributes": replay})
    mocked, replayed = spans.named("chat ")
    assert mocked.attributes["workbench.cost_usd"] > 0
    assert replayed.attributes["workbench.cost_usd"] == 0


async def test_a_turn_the_caller_marks_unpriced_carries_no_cost(local_model, spans, configure):
    """The workbench marks a recording through its proxy in front of a local server."""
    configure()
    marked = {"workbench.model_source": "record", llm.UNPRICED: True}
    request = {"input": "Hi", "model": "openai/gpt-4o-mini", "api_base": local_model.api_base}
    await run_turn({**request, "span_attributes": marked})
    await run_turn(
        {**request, "input": "Hello", "span_attributes": {"workbench.model_source": "record"}}
    )
    marked_chat, plain_chat = spans.named("chat ")
    assert "workbench.cost_usd" not in marked_chat.attributes
    assert plain_chat.attributes["workbench.cost_usd"] > 0

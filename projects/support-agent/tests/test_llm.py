"""Model calls: routing, retries with backoff on transient errors only, fallbacks, cost on spans."""

from __future__ import annotations

import socket

import pytest

from support_agent.agents import llm
from support_agent.agents.entry import run_turn
from support_agent.agents.routing import ModelTarget, choose_target, is_simple
from support_agent.infra.settings import Models, get_settings


@pytest.mark.parametrize(
    ("text", "simple"),
    [
        ("How long does shipping take?", True),
        ("Where is order 12345?", False),
        ("I want a refund", False),
        ("My package arrived damaged", False),
        ("x" * 500, False),
    ],
)
def test_routing_rule(text, simple):
    assert is_simple(text, 160) is simple


def test_routing_picks_cheap_or_strong_model():
    settings = get_settings()
    assert choose_target({}, "Hello!", settings).primary == settings.cheap_model()
    strong = choose_target({}, "Refund order 12345 please", settings)
    assert strong.primary == settings.strong_model()
    assert settings.strong_model() not in strong.fallbacks


def test_a_requested_model_and_endpoint_bypass_routing():
    request = {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1"}
    target = choose_target(request, "Refund order 12345", get_settings())
    assert target.primary == "openai/gpt-4o-mini"
    assert target.api_base == "http://127.0.0.1:9/v1"
    assert all(m.startswith("openai/") for m in target.fallbacks)
    assert "openai/gpt-4o-mini" not in target.fallbacks


async def test_retries_a_rate_limit_and_records_it_on_the_span(model, spans):
    model.add(model.error("RateLimitError"), "Hello!")
    result = await run_turn({"input": "Hi"})
    assert result["status"] == "ok"
    assert len(model.calls) == 2
    chat = spans.one("chat ")
    retries = [e for e in chat.events if e.name == "retry"]
    assert len(retries) == 1
    assert retries[0].attributes["workbench.retry.attempt"] == 1
    assert retries[0].attributes["error.type"] == "RateLimitError"
    assert chat.attributes["workbench.retry.attempt"] == 1
    assert chat.attributes["workbench.llm.attempts"] == 2


@pytest.mark.parametrize("kind", ["ServiceUnavailableError", "InternalServerError", "Timeout"])
async def test_retries_transient_errors(model, kind):
    model.add(model.error(kind), model.error(kind), "ok")
    target = ModelTarget("gpt-4o-mini")
    result = await llm.complete(target, [{"role": "user", "content": "hi"}], [], {})
    assert result.content == "ok"
    assert len(model.calls) == 3


@pytest.mark.parametrize(
    "kind", ["BadRequestError", "AuthenticationError", "PermissionDeniedError"]
)
async def test_does_not_retry_client_errors(model, spans, kind):
    model.add(model.error(kind), "never used")
    with pytest.raises(llm.LLMError):
        await llm.complete(ModelTarget("gpt-4o-mini"), [{"role": "user", "content": "x"}], [], {})
    assert len(model.calls) == 1
    assert spans.one("chat ").status.status_code.name == "ERROR"


async def test_falls_back_when_the_primary_is_down(model, spans, configure):
    configure(llm_num_retries=1)
    down = model.error("ServiceUnavailableError")
    model.add(down, down, "answered by the fallback")
    result = await run_turn({"input": "Hi"})
    assert result["status"] == "ok"
    assert result["output"] == "answered by the fallback"
    assert [c["model"] for c in model.calls] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]
    assert result["model"] == "gpt-4o"
    chat = spans.one("chat ")
    assert chat.attributes["workbench.fallback.from"] == "gpt-4o-mini"
    assert len([e for e in chat.events if e.name == "retry"]) == 2
    assert any(e.name == "fallback" for e in chat.events)


async def test_every_model_failing_ends_with_a_clear_error(model, spans, configure):
    configure(llm_num_retries=1)
    model.add(*[model.error("ServiceUnavailableError") for _ in range(4)])
    result = await run_turn({"input": "Hi"})
    assert result["status"] == "error"
    assert result["error"].startswith("model unavailable: ServiceUnavailableError")
    assert spans.one("invoke_agent").status.status_code.name == "ERROR"


async def test_cost_and_tokens_are_on_the_llm_span(model, spans):
    model.add("Hello!")
    await run_turn({"input": "Hi"})
    chat = spans.one("chat ")
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0
    assert chat.attributes["gen_ai.usage.output_tokens"] > 0
    assert chat.attributes["workbench.cost_usd"] > 0
    assert tuple(chat.attributes["gen_ai.response.finish_reasons"]) == ("stop",)


def test_a_model_litellm_cannot_price_carries_no_cost(monkeypatch):
    class Response:
        _hidden_params: dict = {}

    def unknown(**_):
        raise ValueError("This model isn't mapped yet")

    monkeypatch.setattr(llm.litellm_module(), "completion_cost", unknown)
    # No cost on the span lets the workbench price the model from [pricing.<model>].
    assert llm._cost(Response(), ModelTarget("local/finetune")) is None


async def test_identical_requests_are_served_from_the_cache(model, spans):
    model.add("Shipping takes 3-5 days.")
    first = await run_turn({"input": "Shipping time?"})
    second = await run_turn({"input": "Shipping time?"})
    assert second["output"] == first["output"]
    assert len(model.calls) == 1
    assert second["usage"]["cost_usd"] == 0
    assert [s.attributes["workbench.cache.hit"] for s in spans.named("chat ")] == [False, True]


async def test_eval_runs_bypass_the_cache(model):
    model.add("one", "two")
    attributes = {"workbench.eval_run": "run-1"}
    await run_turn({"input": "Shipping time?", "span_attributes": attributes})
    second = await run_turn({"input": "Shipping time?", "span_attributes": attributes})
    assert second["output"] == "two"
    assert len(model.calls) == 2


@pytest.mark.parametrize("source", ["record", "replay"])
async def test_record_and_replay_runs_bypass_the_cache(model, source):
    model.add("one", "two")
    attributes = {"workbench.model_source": source}
    await run_turn({"input": "Shipping time?", "span_attributes": attributes})
    second = await run_turn({"input": "Shipping time?", "span_attributes": attributes})
    assert second["output"] == "two", "a cached answer would never be recorded or replayed"
    assert len(model.calls) == 2


def _closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_endpoint_is_named_in_the_error(configure):
    configure(llm_num_retries=0, models=Models(fallbacks=[]))
    api_base = f"http://127.0.0.1:{_closed_port()}/v1"
    request = {"input": "Hi", "model": "openai/gpt-4o-mini", "api_base": api_base}
    first = await run_turn(request)
    assert first["status"] == "error"
    assert first["error"] == f"model unavailable: connection refused to {api_base}"
    # Later turns may find every deployment cooling down; they still say what is wrong.
    second = await run_turn(request)
    assert second["status"] == "error"
    assert f"connection refused to {api_base}" in second["error"]


async def test_a_step_timeout_names_the_last_failure(model, configure):
    configure(step_timeout_s=0.3, llm_num_retries=2)
    model.add(model.error("ServiceUnavailableError"), model.hang)
    result = await run_turn({"input": "hello"})
    assert result["status"] == "error"
    assert result["error"].startswith("model step timed out after 0.3s (last error: ")
    assert "ServiceUnavailableError" in result["error"]


def test_errors_name_the_refused_endpoint_without_credentials():
    cause = ConnectionRefusedError(111, "Connect call failed")
    try:
        try:
            raise cause
        except ConnectionRefusedError as error:
            raise RuntimeError("Connection error.") from error
    except RuntimeError as wrapped:
        described = llm.describe_error(wrapped, "http://user:secret@10.0.0.5:8000/v1?key=abc")
    assert described == "connection refused to http://10.0.0.5:8000/v1"
    assert llm.describe_error(ValueError("bad")) == "ValueError: bad"


def test_one_attempt_never_takes_the_whole_step(configure):
    settings = configure(llm_timeout_s=20, step_timeout_s=30)
    assert llm.attempt_timeout(settings) == 15
    router = llm.build_router(ModelTarget("gpt-4o-mini", ("gpt-4o",)), settings)
    assert {d["litellm_params"]["timeout"] for d in router.model_list} == {15}
    assert llm.attempt_timeout(configure(llm_timeout_s=5, step_timeout_s=30)) == 5


async def test_routers_skip_tpm_rpm_bookkeeping_they_have_no_limits_for(model, monkeypatch, spans):
    counted = []

    async def bookkeeping(self, **kwargs):
        counted.append(kwargs)

    monkeypatch.setattr(llm.litellm_module().Router, "_increment_deployment_usage", bookkeeping)
    model.add("Hello!")
    result = await run_turn({"input": "Hi"})
    assert result["status"] == "ok" and result["usage"]["cost_usd"] > 0
    router = llm.build_router(ModelTarget("gpt-4o-mini", ("gpt-4o",)), get_settings())
    await router._increment_deployment_usage(deployment_id="x")
    assert counted == []

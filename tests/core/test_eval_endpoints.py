"""Where llm-rubric's judge and similar's embeddings go, and which key they carry.

A real local OpenAI-compatible server (tests/core/openai_stub.py) records each request.
"""

from __future__ import annotations

import pytest

from tests.core.openai_stub import OpenAIStub
from workbench.cli.eval_models import endpoint_settings
from workbench.core.config import EvalsSection
from workbench.core.evals.endpoints import embedding_target, judge_target
from workbench.core.evals.observation import Observation
from workbench.core.evals.services import EvalServices
from workbench.errors import WorkbenchError

SECRET = "sk-live-do-not-send-this-0123456789abcdef"


def observation(variant: str = "v") -> Observation:
    return Observation(
        output="Your refund is on its way", status="ok", latency_ms=1.0, variant=variant
    )


async def test_the_judge_defaults_to_the_variants_own_model_and_api_base(tmp_path):
    with OpenAIStub() as stub:
        judges = {"v": {"model": "gpt-4o-mini", "api_base": stub.api_base, "source": "real"}}
        services = EvalServices(tmp_path, tmp_path, judges=judges, env={"OPENAI_API_KEY": SECRET})
        verdict = await services.judge(
            "mentions the refund", "x", provider=None, observation=observation()
        )
    assert verdict == (True, 0.9, "stub judge")
    (request,) = stub.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "gpt-4o-mini"
    assert "You are an eval judge" in request["body"]["messages"][0]["content"]
    # the provider's key stays with the provider: a local server gets a placeholder
    assert SECRET not in (request["auth"] or "")


async def test_the_judge_the_user_names_is_used_instead(tmp_path):
    with OpenAIStub() as variant_server, OpenAIStub('{"pass": false, "score": 0.2}') as judge:
        judges = {
            "v": {"model": "gpt-4o-mini", "api_base": variant_server.api_base, "source": "real"}
        }
        override = {"model": "openai/judge-model", "api_base": judge.api_base}
        services = EvalServices(
            tmp_path,
            tmp_path,
            judges=judges,
            env={"OPENAI_API_KEY": SECRET},
            judge_override=override,
        )
        ok, score, _ = await services.judge(
            "rubric", "out", provider=None, observation=observation()
        )
    assert (ok, score) == (False, 0.2)
    assert variant_server.requests == []
    assert [r["body"]["model"] for r in judge.requests] == ["judge-model"]
    assert SECRET not in (judge.requests[0]["auth"] or "")


async def test_a_mock_variant_judge_goes_to_the_mock_never_to_a_hosted_provider(tmp_path):
    with OpenAIStub("not a verdict") as mock:
        judges = {"v": {"model": "openai/gpt-4o-mini", "api_base": mock.api_base, "source": "mock"}}
        services = EvalServices(tmp_path, tmp_path, judges=judges, env={"OPENAI_API_KEY": SECRET})
        ok, _, reason = await services.judge(
            "refund", "Your refund is on its way", provider=None, observation=observation()
        )
    assert len(mock.requests) == 1 and mock.requests[0]["auth"] == "Bearer mock-key-not-secret"
    # the mock did not answer with a verdict: the deterministic term-overlap judge decides
    assert ok and reason.startswith("mock judge")


def test_judge_target_order():
    own = {"model": "gpt-4o-mini", "api_base": "http://127.0.0.1:1/v1", "source": "real"}
    assert judge_target(own, provider=None, override=None) == own
    # a named OpenAI-compatible model is served by the run's --api-base (offline runs stay
    # offline); another provider's model by that provider
    assert judge_target(own, provider="gpt-4.1", override=None)["api_base"] == own["api_base"]
    named = judge_target(own, provider="anthropic/claude-3-5-haiku-latest", override=None)
    assert named == {
        "model": "anthropic/claude-3-5-haiku-latest",
        "api_base": None,
        "source": "real",
    }
    setting = {
        "model": "ollama_chat/llama3.1",
        "api_base": "http://127.0.0.1:11434",
        "forced": False,
    }
    assert judge_target(own, provider=None, override=setting)["model"] == "ollama_chat/llama3.1"
    # [evals] judge_model yields to the assertion's provider; --judge-model does not
    assert judge_target(own, provider="gpt-4.1", override=setting)["model"] == "gpt-4.1"
    flag = {**setting, "forced": True}
    assert judge_target(own, provider="gpt-4.1", override=flag)["model"] == "ollama_chat/llama3.1"
    assert judge_target(own, provider="mock", override=flag) == own
    mock_own = {
        "model": "openai/gpt-4o-mini",
        "api_base": "http://127.0.0.1:2/v1",
        "source": "mock",
    }
    # a mock run stays offline: a model an assertion names is not called
    assert judge_target(mock_own, provider="gpt-4.1", override=None) == mock_own
    assert (
        judge_target(mock_own, provider="gpt-4.1", override=flag)["model"] == "ollama_chat/llama3.1"
    )
    assert embedding_target(mock_own, provider="openai/text-embedding-3-large") == {
        **mock_own,
        "model": "openai/text-embedding-3-small",
    }


def test_endpoint_flags_are_checked():
    class Config:
        evals = EvalsSection(judge_model="openai/gpt-4.1-mini")

    assert endpoint_settings(Config(), {}) == {
        "judge": {"model": "openai/gpt-4.1-mini", "api_base": None, "forced": False}
    }
    same = endpoint_settings(
        Config(),
        {
            "api_base": "http://127.0.0.1:9/v1/",
            "api_key_env": "LOCAL_KEY",
            "judge_model": "m",
            "judge_api_base": "http://127.0.0.1:9/v1",
        },
    )
    assert same["api_base"] == "http://127.0.0.1:9/v1"
    assert same["judge"] == {
        "model": "m",
        "api_base": "http://127.0.0.1:9/v1",
        "forced": True,
        "api_key_env": "LOCAL_KEY",
    }
    with pytest.raises(WorkbenchError, match="pass --api-base too"):
        endpoint_settings(Config(), {"api_key_env": "X"})

    class Bare:
        evals = EvalsSection()

    with pytest.raises(WorkbenchError, match="--judge-api-base needs --judge-model"):
        endpoint_settings(Bare(), {"judge_api_base": "http://127.0.0.1:9/v1"})

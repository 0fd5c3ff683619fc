"""Per-token pricing of plain OpenAI answers (agents/pricing.py) equals litellm.completion_cost,
and every answer it cannot price plainly is left to litellm."""

from __future__ import annotations

from typing import Any

import pytest

from support_agent.agents import llm, pricing
from support_agent.agents.routing import ModelTarget


@pytest.fixture(autouse=True)
def routed_models() -> None:
    """Price-map entries as a running service has them: a Router that registered the models
    fills each entry in place with every price key, unset ones None."""
    models = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-nano", "gpt-4o-2024-08-06", "gpt-5", "gpt-5.4")
    llm.get_router(ModelTarget(f"openai/{models[0]}", tuple(f"openai/{m}" for m in models[1:])))


def _answer(model: str, usage: dict[str, Any], **fields: Any) -> Any:
    """An answer as the direct transport returns it (litellm's response object)."""
    response = llm.litellm_module().ModelResponse(
        model=model,
        choices=[{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        usage=usage,
        **fields,
    )
    response._hidden_params["custom_llm_provider"] = "openai"
    return response


PLAIN = {"prompt_tokens": 1200, "completion_tokens": 60, "total_tokens": 1260}
CACHED = {**PLAIN, "prompt_tokens_details": {"cached_tokens": 1000}}


@pytest.mark.parametrize(
    "model", ["gpt-4o-mini", "gpt-4o", "gpt-4.1-nano", "gpt-4o-2024-08-06", "gpt-5"]
)
@pytest.mark.parametrize("usage", [PLAIN, CACHED], ids=["plain", "cached"])
def test_a_plain_openai_answer_is_priced_as_litellm_prices_it(model, usage):
    response = _answer(model, usage)
    ours = pricing.plain_cost(response)
    assert ours is not None
    assert ours == pytest.approx(llm.litellm_module().completion_cost(completion_response=response))


@pytest.mark.parametrize(
    ("model", "usage", "fields"),
    [
        ("my-local-model", PLAIN, {}),  # not in the price map
        ("gpt-4o-mini", PLAIN, {"service_tier": "priority"}),
        ("gpt-5.4", PLAIN, {}),  # prices above 272k tokens
        (
            "o3-mini",
            {**PLAIN, "completion_tokens_details": {"reasoning_tokens": 40}},
            {},
        ),
        ("gpt-audio", PLAIN, {}),  # audio token prices
    ],
)
def test_anything_else_is_left_to_litellm(model, usage, fields):
    response = _answer(model, usage, **fields)
    assert pricing.plain_cost(response) is None


def test_an_answer_from_another_provider_is_left_to_litellm():
    response = _answer("gpt-4o-mini", PLAIN)
    response._hidden_params["custom_llm_provider"] = "azure"
    assert pricing.plain_cost(response) is None

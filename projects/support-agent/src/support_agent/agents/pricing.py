"""What an OpenAI chat answer cost, from litellm's price map, in microseconds.

`litellm.completion_cost` resolves the model name through several candidates, service tiers,
regions and special pricing on every call: ~0.4 ms of CPU per model call on a service that
is CPU-bound on one core. Most answers need none of that: an OpenAI model whose price-map
entry is plain per-token prices (input, output, cached input), answered at the default
service tier with no audio or reasoning tokens. Those are priced here from the entry;
every other answer returns None and the caller asks
`litellm.completion_cost`. tests/test_pricing.py holds the two equal.
"""

from __future__ import annotations

from typing import Any

# Price-map keys that do not apply to a default-tier chat answer priced here: other service
# tiers and batch prices (answers at those tiers are left to litellm), and web search (the
# direct transport never asks for it).
_OTHER_TIERS = ("_batches", "_priority", "_flex", "_ultrafast", "_decisions")
_PLAIN_KEYS = frozenset(
    {
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "search_context_cost_per_query",
    }
)


def plain_prices(model: str) -> tuple[float, float, float | None] | None:
    """(input, output, cached input) USD per token for an OpenAI chat model priced per token
    only, or None (an unknown model, or one with tiered, audio or other special prices).

    Read from the entry on every call: litellm fills an entry in place with every price key
    (unset ones None) when a Router registers the model, and `litellm.register_model` may
    change its prices at any time.
    """
    from .llm import litellm_module

    entry = litellm_module().model_cost.get(model)
    if not entry or entry.get("litellm_provider") != "openai" or entry.get("mode") != "chat":
        return None
    for key, value in entry.items():
        if value and "cost" in key and key not in _PLAIN_KEYS and not key.endswith(_OTHER_TIERS):
            return None
    inp, out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(inp, int | float) or not isinstance(out, int | float):
        return None
    cached = entry.get("cache_read_input_token_cost")
    return float(inp), float(out), float(cached) if isinstance(cached, int | float) else None


def plain_cost(response: Any) -> float | None:
    """The USD cost of an OpenAI chat answer priced per token, or None when litellm must
    price it (see the module docstring)."""
    hidden = getattr(response, "_hidden_params", None) or {}
    if hidden.get("custom_llm_provider") != "openai":
        return None
    if getattr(response, "service_tier", None) not in (None, "default"):
        return None
    model = str(getattr(response, "model", "") or "").removeprefix("openai/")
    prices = plain_prices(model) if model else None
    usage = getattr(response, "usage", None)
    if prices is None or usage is None:
        return None
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    cached = getattr(prompt_details, "cached_tokens", 0) or 0
    special = (
        getattr(prompt_details, "audio_tokens", 0),
        getattr(prompt_details, "image_tokens", 0),
        getattr(completion_details, "audio_tokens", 0),
        getattr(completion_details, "reasoning_tokens", 0),
        getattr(completion_details, "image_tokens", 0),
    )
    if any(special):
        return None
    inp, out, cached_price = prices
    if cached and cached_price is None:
        return None
    return (prompt - cached) * inp + cached * (cached_price or 0.0) + completion * out

"""What model calls cost: litellm's bundled price map, overridable per model in workbench.toml."""

from __future__ import annotations

import importlib.util
import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.core.config import PricingOverride

_BUNDLED_MAP = "model_prices_and_context_window_backup.json"
_lock = threading.Lock()
_model_map: dict[str, dict[str, Any]] | None = None


def litellm_folder() -> Path | None:
    """Where litellm is installed, found without importing it (None if it is not)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent


def model_map() -> dict[str, dict[str, Any]]:
    """litellm's offline model map (prices, context windows, modes), its keys as litellm spells
    them, loaded once per process.

    Reading the JSON file that litellm bundles takes milliseconds, where importing
    litellm takes seconds; the import is the fallback if the file ever moves.
    """
    global _model_map
    if _model_map is None:
        with _lock:
            if _model_map is None:
                _model_map = _load_model_map()
    return _model_map


@lru_cache(maxsize=1)
def price_map() -> dict[str, dict[str, Any]]:
    """``model_map`` with lower-cased keys, for looking prices up whatever the spelling."""
    return {key.lower(): value for key, value in model_map().items()}


def _load_model_map() -> dict[str, dict[str, Any]]:
    folder = litellm_folder()
    if folder is not None:
        try:
            data = json.loads((folder / _BUNDLED_MAP).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and data:
            return {key: value for key, value in data.items() if isinstance(value, dict)}
    from workbench.core.llm import import_litellm

    return dict(import_litellm().model_cost)


def _candidates(model: str) -> list[str]:
    """Keys to try for ``model``: as given, then without its provider prefix(es)."""
    name = model.strip().lower()
    keys = [name]
    while "/" in name:
        name = name.split("/", 1)[1]
        keys.append(name)
    return keys


@lru_cache(maxsize=1024)
def model_price(model: str) -> tuple[float, float, float | None] | None:
    """(input, output, cache-read) USD per token for ``model``, or None when unknown."""
    prices = price_map()
    for key in _candidates(model):
        entry = prices.get(key)
        if entry is None:
            continue
        input_cost = entry.get("input_cost_per_token")
        output_cost = entry.get("output_cost_per_token")
        if input_cost is None and output_cost is None:
            continue
        cached = entry.get("cache_read_input_token_cost")
        return (
            float(input_cost or 0.0),
            float(output_cost or 0.0),
            float(cached) if cached is not None else None,
        )
    return None


def _override_for(
    model: str, overrides: dict[str, PricingOverride] | None
) -> PricingOverride | None:
    if not overrides:
        return None
    lowered = {key.lower(): value for key, value in overrides.items()}
    for key in _candidates(model):
        if key in lowered:
            return lowered[key]
    return None


def cost_usd(
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    overrides: dict[str, PricingOverride] | None = None,
    *,
    listed: bool = True,
) -> float | None:
    """The USD cost of one call, or None when the model's price is unknown.

    ``listed=False`` (a call to a server that is not the model's provider) prices only from
    ``overrides``: the provider's list price is no evidence of what that server costs.

    ``input_tokens`` includes ``cached_tokens`` (as OpenTelemetry GenAI counts
    them); the cached share is billed at the cache-read price when one is known.
    """
    if not model:
        return None
    cached = max(0, min(cached_tokens or 0, input_tokens or 0))
    fresh = max(0, (input_tokens or 0) - cached)
    output = max(0, output_tokens or 0)
    override = _override_for(model, overrides)
    if override is not None:
        cached_rate = override.cached_input_per_mtok
        if cached_rate is None:
            cached_rate = override.input_per_mtok
        return (
            fresh * override.input_per_mtok
            + cached * cached_rate
            + output * override.output_per_mtok
        ) / 1_000_000
    price = model_price(model) if listed else None
    if price is None:
        return None
    input_rate, output_rate, cached_rate = price
    if cached_rate is None:
        cached_rate = input_rate
    return fresh * input_rate + cached * cached_rate + output * output_rate

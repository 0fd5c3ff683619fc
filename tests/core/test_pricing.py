"""Pricing from litellm's bundled price map, with overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.config import PricingOverride
from workbench.core.pricing import cost_usd, model_price, price_map

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_known_model_is_priced_from_the_bundled_map():
    input_rate, output_rate, cached_rate = model_price("gpt-4o-mini")
    assert input_rate > 0 and output_rate > input_rate
    assert cost_usd("gpt-4o-mini", 1000, 500) == pytest.approx(
        1000 * input_rate + 500 * output_rate
    )
    assert cached_rate is not None and cached_rate < input_rate


def test_provider_prefix_is_stripped():
    assert cost_usd("openai/gpt-4o-mini", 1000, 500) == cost_usd("gpt-4o-mini", 1000, 500)
    assert cost_usd("OpenAI/GPT-4o-mini", 10, 5) == cost_usd("gpt-4o-mini", 10, 5)


def test_cached_tokens_cost_less():
    full = cost_usd("gpt-4o-mini", 1000, 0)
    cached = cost_usd("gpt-4o-mini", 1000, 0, cached_tokens=800)
    assert 0 < cached < full


def test_price_map_is_loaded_once():
    assert price_map() is price_map()
    assert "gpt-4o-mini" in price_map()


def test_unknown_model_and_no_model():
    assert cost_usd("no-such-model-xyz", 100, 100) is None
    assert cost_usd(None, 100, 100) is None


def test_overrides_win_per_model():
    overrides = {
        "gpt-4o-mini": PricingOverride(input_per_mtok=1, output_per_mtok=2),
        "local/llama": PricingOverride(
            input_per_mtok=10, output_per_mtok=20, cached_input_per_mtok=1
        ),
    }
    assert cost_usd("gpt-4o-mini", 1_000_000, 1_000_000, overrides=overrides) == pytest.approx(3)
    assert cost_usd("openai/gpt-4o-mini", 1_000_000, 0, overrides=overrides) == pytest.approx(1)
    assert cost_usd("local/llama", 1_000_000, 0, 500_000, overrides) == pytest.approx(5.5)


def test_price_map_loads_without_importing_litellm():
    """Pricing reads litellm's bundled map directly: no seconds-long litellm import."""
    code = (
        "import sys;"
        "from workbench.core.pricing import cost_usd;"
        "assert cost_usd('gpt-4o-mini', 10, 10) > 0;"
        "assert 'litellm' not in sys.modules, 'litellm was imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr

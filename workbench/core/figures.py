"""Figures for people: money, tokens, durations and plain numbers, and JSON without float noise.

One formatter for the CLI and the TUI, so the same cost reads the same everywhere and
binary float noise (``5.9699999999999994e-05``) never reaches a screen. JSON keeps
numbers as numbers, rounded to 15 significant digits: the noise of a sum of prices goes,
every digit a price or a timestamp really has stays.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Binary noise sits in the 16th-17th significant digit of a double; real data never needs more.
_JSON_DIGITS = 15


def format_cost(usd: float | None) -> str:
    """A cost in dollars: ``$0``, ``$0.000060`` (below a cent, six decimals), ``$1.2500``."""
    if usd is None:
        return "-"
    if usd == 0:
        return "$0"
    return f"${usd:.4f}" if abs(usd) >= 0.01 else f"${usd:.6f}"


def format_p(p_value: float) -> str:
    """A p-value as ``p < 0.001``, ``p = 0.002`` (three decimals below 0.01) or ``p = 0.04``."""
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def format_duration(ms: float | None) -> str:
    """A duration as ``4.2 ms``, ``850 ms`` or ``1.25 s``."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"
    return f"{ms / 1000:.2f} s"


def format_tokens(count: int | float | None) -> str:
    """A token count with thousands separators: ``12,345``."""
    if count is None:
        return "-"
    return f"{round(count):,}"


def format_number(value: Any) -> str:
    """Any value for display; floats with at most six significant digits (``5.97e-05``)."""
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def tidy(data: Any) -> Any:
    """``data`` with every float rounded to 15 significant digits (lists and dicts walked)."""
    if isinstance(data, float):
        return float(f"{data:.{_JSON_DIGITS}g}") if math.isfinite(data) else data
    if isinstance(data, dict):
        return {key: tidy(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [tidy(value) for value in data]
    return data


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON for people and scripts: tidy numbers, non-ASCII kept, dates as text."""
    return json.dumps(tidy(data), indent=indent, ensure_ascii=False, default=str)

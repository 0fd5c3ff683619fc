"""Time ranges people type (``15m``, ``2h``, ``7d``, an ISO date or time), and duration bars."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from workbench.errors import WorkbenchError

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}
# The TUI's time-range choices: label and seconds back from now.
PRESETS: tuple[tuple[str, int], ...] = (
    ("last 15 min", 900),
    ("last hour", 3600),
    ("last 24 h", 86_400),
    ("last 7 days", 604_800),
)
_EIGHTHS = " ▏▎▍▌▋▊▉"


def parse_time(text: str, *, now_ns: int | None = None, option: str = "--since") -> int:
    """``text`` as ns since the epoch: ``30m``/``2h``/``7d``/``1w`` ago, or an ISO 8601 date
    or time (UTC unless it names a zone). Raises a one-line ``WorkbenchError`` otherwise."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    cleaned = text.strip().lower()
    ago = _AGO.match(cleaned)
    if ago:
        return now_ns - int(float(ago[1]) * _UNIT_S[ago[2]] * 1e9)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise WorkbenchError(
            f"{option} {text!r}: give a span back from now (30m, 2h, 7d, 1w) "
            "or an ISO date or time (2026-01-15, 2026-01-15T09:30)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def duration_bar(ms: float, longest_ms: float, width: int) -> str:
    """A bar ``width`` cells wide, as long against ``width`` as ``ms`` is against
    ``longest_ms``, in eighths of a cell; at least a sliver for any non-zero duration."""
    if width <= 0:
        return ""
    if longest_ms <= 0 or ms <= 0:
        return " " * width
    eighths = max(1, round(min(1.0, ms / longest_ms) * width * 8))
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return bar.ljust(width)

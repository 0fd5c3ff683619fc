"""Typed time ranges and duration bars."""

from __future__ import annotations

import pytest

from workbench.core.timerange import duration_bar, parse_time
from workbench.errors import WorkbenchError

NOW = 1_768_469_400 * 10**9  # 2026-01-15T09:30:00Z


def test_spans_back_from_now():
    assert parse_time("15m", now_ns=NOW) == NOW - 900 * 10**9
    assert parse_time("2h", now_ns=NOW) == NOW - 7200 * 10**9
    assert parse_time("1w", now_ns=NOW) == NOW - 7 * 86_400 * 10**9
    assert parse_time("1.5h", now_ns=NOW) == NOW - 5400 * 10**9


def test_iso_dates_and_times_are_utc_unless_zoned():
    assert parse_time("2026-01-15T09:30") == NOW
    assert parse_time("2026-01-15") == NOW - (9 * 3600 + 1800) * 10**9
    assert parse_time("2026-01-15T10:30+01:00") == NOW


def test_anything_else_is_a_one_line_error_naming_the_option():
    with pytest.raises(WorkbenchError, match="--until 'yesterday'"):
        parse_time("yesterday", option="--until")


def test_duration_bar_scales_to_the_longest():
    assert duration_bar(100, 100, 4) == "████"
    assert duration_bar(50, 100, 4) == "██  "
    assert duration_bar(1, 1000, 4) == "▏   "  # never invisible
    assert duration_bar(0, 100, 3) == "   "
    assert len(duration_bar(33, 100, 5)) == 5
    assert duration_bar(10, 100, 0) == ""

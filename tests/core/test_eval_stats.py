"""The statistics against values computed by hand or by reference implementations."""

from __future__ import annotations

import sys
import types

import pytest

from workbench.core.evals import stats


def test_wilson_interval_matches_known_values():
    low, high = stats.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)
    low, high = stats.wilson(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=1e-4)
    assert stats.wilson(20, 20)[1] == 1.0
    assert stats.wilson(0, 0) == (0.0, 1.0)


def test_exact_mcnemar_is_a_two_sided_binomial_test():
    assert stats.mcnemar_exact(7, 2) == pytest.approx(0.1797, abs=1e-4)
    assert stats.mcnemar_exact(2, 7) == stats.mcnemar_exact(7, 2)
    assert stats.mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    assert stats.mcnemar_exact(3, 3) == 1.0
    assert stats.mcnemar_exact(0, 0) == 1.0


def test_percentile_interpolates_like_numpy():
    values = [10, 20, 30, 40, 50]
    assert stats.percentile(values, 50) == 30
    assert stats.percentile(values, 95) == pytest.approx(48.0)
    assert stats.percentile([5], 95) == 5
    assert stats.percentile([], 50) is None


def test_bootstrap_is_seeded_and_brackets_the_mean():
    diffs = [1, 0, 0, 1, -1, 0, 1, 1, 0, 0, 1, 0]
    first = stats.bootstrap_mean_diff(diffs, seed=3)
    assert first == stats.bootstrap_mean_diff(diffs, seed=3)
    mean, low, high = first
    assert mean == pytest.approx(sum(diffs) / len(diffs))
    assert low < mean < high
    assert stats.bootstrap_mean_diff([0.5, 0.5]) == (0.5, 0.5, 0.5)
    assert stats.bootstrap_mean_diff([]) == (0.0, 0.0, 0.0)


class _NumpyThatMustNotBeUsed(types.ModuleType):
    """Stands in for an installed numpy: any use of it fails the test."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the bootstrap used numpy.{name}; its numbers must not depend on it")


def test_bootstrap_gives_the_same_numbers_with_or_without_numpy(monkeypatch):
    # These values are what random.Random(0) resamples to; a numpy path gave a lower bound
    # of -0.3214 here, so the interval depended on whether numpy happened to be installed.
    diffs = [0.25, -0.5, 1.0, 0.0, 0.75, -1.0, 0.5]
    expected = (0.14285714285714285, -0.35714285714285715, 0.6071428571428571)
    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` raises ImportError
    assert stats.bootstrap_mean_diff(diffs, seed=0) == expected
    monkeypatch.setitem(sys.modules, "numpy", _NumpyThatMustNotBeUsed("numpy"))
    assert stats.bootstrap_mean_diff(diffs, seed=0) == expected


def test_pass_at_k_and_pass_hat_k():
    assert stats.pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert stats.pass_at_k(3, 0, 3) == 0.0
    assert stats.pass_at_k(3, 1, 3) == 1.0
    assert stats.pass_hat_k(5, 4, 2) == pytest.approx(0.6)
    assert stats.pass_hat_k(3, 3, 3) == 1.0
    assert stats.pass_hat_k(3, 2, 3) == 0.0


def test_verdict_sentence():
    p = stats.mcnemar_exact(7, 2)
    assert stats.verdict("A", "B", 7, 2, p, 20) == (
        "B passes 7 more cases and fails 2 that A passed; p = 0.18 — "
        "not a significant difference at 20 cases"
    )
    sentence = stats.verdict("A", "B", 12, 0, stats.mcnemar_exact(12, 0), 40)
    assert (
        "p < 0.001" in sentence and "significant difference at 40 cases (B is better)" in sentence
    )
    assert "p = 0.002 — a significant" in stats.verdict("A", "B", 10, 0, 0.001953, 50)
    assert "agree on all 5 cases" in stats.verdict("A", "B", 0, 0, 1.0, 5)
    assert "more often on 3" in stats.verdict("A", "B", 3, 1, 0.6, 9, by_rate=True)


def test_p_values_read_the_same_in_the_verdict_and_the_summary():
    from workbench.core.figures import format_p

    assert [format_p(p) for p in (0.0004, 0.002, 0.0449, 0.5)] == [
        "p < 0.001",
        "p = 0.002",
        "p = 0.04",
        "p = 0.50",
    ]

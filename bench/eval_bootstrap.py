"""The cost of the eval comparison's bootstrap interval (2,000 resamples, pure Python).

Usage: python bench/eval_bootstrap.py [--sizes 50,500,5000] [--repeat 3]

Prints the median time of ``stats.bootstrap_mean_diff`` per number of paired cases. When
numpy is importable (it is not a dependency), the same run also times the numpy resampler
the workbench used to switch to, as the baseline for what one implementation costs: that
path drew different samples, so the interval depended on whether numpy was installed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.evals import stats


def numpy_resampler() -> Callable[[Sequence[float]], list[float]] | None:
    """The former numpy path (sorted resampled means), or None without numpy."""
    try:
        import numpy
    except ImportError:
        return None

    def resample(differences: Sequence[float], iterations: int = 2000) -> list[float]:
        rng = numpy.random.default_rng(0)
        values = numpy.asarray(differences, dtype=float)
        n = len(values)
        means = [
            values[rng.integers(0, n, size=(min(250, iterations - start), n))].mean(axis=1)
            for start in range(0, iterations, 250)
        ]
        return sorted(numpy.concatenate(means).tolist())

    return resample


def median_ms(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``function()`` over ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    """Time the bootstrap for each size and print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500,5000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    baseline = numpy_resampler()
    rng = random.Random(1)
    for size in (int(part) for part in args.sizes.split(",")):
        diffs = [rng.choice([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0]) for _ in range(size)]
        ours = median_ms(lambda d=diffs: stats.bootstrap_mean_diff(d), args.repeat)
        line = f"{size:>6} cases: {ours:8.1f} ms pure Python"
        if baseline is not None:
            theirs = median_ms(lambda d=diffs: baseline(d), args.repeat)
            line += f"   {theirs:8.1f} ms numpy (baseline, not used)"
        print(line)
    if baseline is None:
        print("numpy is not installed: no baseline (pip install numpy to compare)")


if __name__ == "__main__":
    main()

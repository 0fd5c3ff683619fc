"""CLI start-up: ``workbench --help`` against ``python -c "import click"``, measured in one run.

Usage: python bench/cli_startup.py [--repeat 7]

Each command runs ``--repeat`` times as a fresh interpreter, alternating with the
baseline so both see the same machine load; prints both medians and their ratio.
Target: ``workbench --help`` takes at most 3x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import click"]
HELP = [sys.executable, "-m", "workbench", "--help"]


def _once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    """Measure, alternating the two commands, and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _once(BASELINE), _once(HELP)  # warm the file cache and the bytecode
    baseline, helped = [], []
    for _ in range(args.repeat):
        baseline.append(_once(BASELINE))
        helped.append(_once(HELP))
    base, help_ = statistics.median(baseline), statistics.median(helped)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f'python -c "import click":  {base * 1000:7.1f} ms median of {args.repeat}')
    print(f"python -m workbench --help: {help_ * 1000:7.1f} ms median of {args.repeat}")
    print(f"ratio: {help_ / base:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()

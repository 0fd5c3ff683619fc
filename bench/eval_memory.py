"""Eval memory: peak RSS of a 1,000-case run versus a 20,000-case run, no-op agent.

Run: ``python bench/eval_memory.py [--small 1000] [--large 20000]``

Each run happens in a fresh process (the peak RSS of a process never goes down),
with the cases streamed from a JSONL file and results streamed to SQLite.
Target: the large run's peak within 50 MB of the small run's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(cases: int) -> None:
    """Run ``cases`` cases × 2 variants and print the peak RSS in MiB."""
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_harness import run

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")
        elapsed = asyncio.run(run(cases, 2, 16, Path(tmp)))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kib / 1024:.1f} {elapsed:.2f}")


def measure(cases: int) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(cases)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.split()
    return float(output[0]), float(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small, small_s = measure(args.small)
    large, large_s = measure(args.large)
    print(f"{args.small:>6} cases × 2 variants: peak RSS {small:.1f} MiB ({small_s:.1f} s)")
    print(f"{args.large:>6} cases × 2 variants: peak RSS {large:.1f} MiB ({large_s:.1f} s)")
    print(f"difference: {large - small:+.1f} MiB (target within 50 MB)")


if __name__ == "__main__":
    main()

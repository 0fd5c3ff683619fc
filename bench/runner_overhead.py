"""Runner overhead: turns per second through the worker pool with a no-op agent.

Usage: python bench/runner_overhead.py [--turns 5000] [--concurrency 16] [--size 1]

Prints turns/s and the pool's cost per turn (wall time of a no-op turn, seen
by the caller). Target: the pool adds < 5 ms per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.projects import open_project
from workbench.core.runner import WorkerPool

# The no-op agent does not use litellm; importing it would only slow the start.
os.environ.setdefault("WORKBENCH_RUNNER_PRELOAD", "")


def _noop_project(root: Path):
    package = root / "src" / "noop_agent" / "agents"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "entry.py").write_text(
        "async def run_turn(request):\n    return {'output': request['input'], 'status': 'ok'}\n"
    )
    (root / "workbench.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "noop-agent"
            package = "noop_agent"
            [agent]
            entry = "noop_agent.agents.entry:run_turn"
            """
        )
    )
    return open_project(root)


async def _bench(turns: int, concurrency: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = _noop_project(Path(folder))
        async with WorkerPool(project, size=size, stderr_log=Path(folder) / "log") as pool:
            await asyncio.gather(*(pool.run({"input": "warm"}) for _ in range(50)))
            serial = []
            for index in range(500):
                outcome = await pool.run({"input": f"serial {index}"})
                serial.append(outcome.wall_ms)
            semaphore = asyncio.Semaphore(concurrency)

            async def one(index: int) -> float:
                async with semaphore:
                    outcome = await pool.run({"input": f"turn {index}"})
                    assert outcome.ok, outcome
                    return outcome.wall_ms

            started = time.perf_counter()
            walls = await asyncio.gather(*(one(index) for index in range(turns)))
            elapsed = time.perf_counter() - started
    walls.sort()
    print(f"pool size {size}, {turns} no-op turns at concurrency {concurrency}")
    print(f"  throughput: {turns / elapsed:,.0f} turns/s ({elapsed * 1000 / turns:.3f} ms/turn)")
    print(
        f"  latency under load: p50 {walls[len(walls) // 2]:.2f} ms, "
        f"p95 {walls[int(len(walls) * 0.95)]:.2f} ms"
    )
    print(
        "  one turn at a time (pool overhead per turn): "
        f"median {statistics.median(serial):.3f} ms, "
        f"p95 {sorted(serial)[int(len(serial) * 0.95)]:.3f} ms"
    )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(_bench(args.turns, args.concurrency, args.size))


if __name__ == "__main__":
    main()

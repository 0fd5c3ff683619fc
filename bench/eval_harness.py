"""Eval harness overhead: results/s with a no-op agent, SQLite writes included.

Run: ``python bench/eval_harness.py [--cases 10000] [--variants 2] [--concurrency 16]``

The agent answers instantly in-process, so what is measured is the engine:
scheduling, grading (two text assertions and a latency check per case),
progress events and the batched writes through the one ``BatchWriter``. Target:
at least 1,000 results/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class NoOpAgent:
    """A ``TurnRunner`` that replies at once with a fixed result."""

    async def run(self, request, *, timeout=None):
        return {
            "output": f"Order {request['input'][-5:]} is on its way.",
            "status": "ok",
            "steps": 1,
            "usage": {"input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0001},
        }


def write_set(folder: Path, cases: int) -> Path:
    """A JSONL set of ``cases`` cases, each with three assertions."""
    path = folder / "bench.jsonl"
    with path.open("w") as handle:
        for index in range(cases):
            order = 10000 + index % 90000
            handle.write(
                json.dumps(
                    {
                        "id": f"case-{index}",
                        "category": ["functional", "tool_usage", "safety"][index % 3],
                        "input": f"Where is order {order}",
                        "assert": [
                            {"type": "icontains", "value": "on its way"},
                            {"type": "regex", "value": r"\d{5}"},
                            {"type": "latency", "threshold": 5000},
                        ],
                    }
                )
                + "\n"
            )
    return path


async def run(cases: int, variants: int, concurrency: int, folder: Path, listener=None) -> float:
    """Run the set once; the wall time in seconds (writer closed, everything committed)."""
    from workbench.core.evals.engine import EvalEngine, RunPlan
    from workbench.core.evals.loader import load_set
    from workbench.core.evals.run_ids import new_run_id
    from workbench.core.evals.variants import Variant

    evalset = load_set(write_set(folder, cases))
    plan = RunPlan(
        run_id=new_run_id(),
        project="bench",
        project_path=folder,
        evalset=evalset,
        variants=[Variant(name=f"v{i}") for i in range(variants)],
        options={"concurrency": concurrency},
    )
    started = time.perf_counter()
    counts = await EvalEngine(NoOpAgent(), listener=listener).run(plan)
    elapsed = time.perf_counter() - started
    assert counts.done == cases * variants, counts
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")
        events = []
        elapsed = asyncio.run(
            run(
                args.cases,
                args.variants,
                args.concurrency,
                Path(tmp),
                listener=lambda event: events.append(None),
            )
        )
        from workbench.store.db import connect

        stored = connect().execute("SELECT COUNT(*) FROM eval_results").fetchone()[0]
    results = args.cases * args.variants
    print(f"results: {results} ({args.cases} cases × {args.variants} variants), stored {stored}")
    print(f"progress events: {len(events)}")
    print(f"wall time: {elapsed:.2f} s")
    print(f"throughput: {results / elapsed:,.0f} results/s (target ≥ 1,000)")


if __name__ == "__main__":
    main()

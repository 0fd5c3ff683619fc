"""How far the local store goes: query times as spans and eval results grow.

Run: ``python bench/store_limits.py [--spans 100000,300000,1000000] [--runs 10,100,1000]``

Spans: a fresh database is grown step by step with real span rows (synthetic
GenAI agent turns of ~7 spans, normalized and written by the collector's own
writer function, in one service over the last 30 days), and at each size the
queries the CLI and TUI make are timed (median of 5): the first page of the
trace list, a page filtered by status, a text search, a whole trace, and
this month's spend by model (what ``workbench budget`` runs).
Eval runs: runs of 100 results each, then ``list_runs`` (``workbench eval runs``)
and one run's report (``workbench eval show``). Figures depend on the machine
and its load (printed); compare sizes within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.core.collector.normalize import normalize_request  # noqa: E402
from workbench.core.collector.synthetic import agent_turn, make_request  # noqa: E402
from workbench.core.evals.results import run_report  # noqa: E402
from workbench.store.db import connect  # noqa: E402
from workbench.store.evals import list_runs, result_tuple, write_items  # noqa: E402
from workbench.store.traces import get_trace, list_traces, spend  # noqa: E402

try:  # the collector's writer function (renamed as the ingest path evolves)
    from workbench.core.collector.sink import write_spans as _write
except ImportError:  # pragma: no cover
    from workbench.core.collector.sink import stage_spans as _write  # type: ignore[no-redef]  # the newer name


def timed(function, runs: int = 5) -> float:
    """Median wall time in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def grow_spans(db, target: int, have: int, rng: random.Random) -> tuple[int, str]:
    """Add agent turns until the store holds ``target`` spans; (spans now, a trace id)."""
    month = 30 * 86400 * 10**9
    now = time.time_ns()
    trace_id = ""
    while have < target:
        spans = []
        while len(spans) < 2000:
            spans += agent_turn(rng, start_ns=now - rng.randrange(month))
        rows = normalize_request(make_request(spans, service="support-agent")).rows
        with db.conn:
            _write(db, rows)
        have += len(rows)
        trace_id = spans[0].trace_id.hex()
    return have, trace_id


def span_queries(db, trace_id: str) -> dict[str, float]:
    month_start = time.time_ns() - 30 * 86400 * 10**9
    return {
        "list": timed(lambda: list_traces(db, limit=100)),
        "status": timed(lambda: list_traces(db, status="ok", limit=100)),
        "search": timed(lambda: list_traces(db, search="refund", limit=100)),
        "trace": timed(lambda: get_trace(db, trace_id)),
        "spend": timed(lambda: spend(db, group_by="model", since_ns=month_start)),
    }


def grow_runs(db, target: int, have: int, rng: random.Random) -> tuple[int, str]:
    run_id = ""
    while have < target:
        run_id = f"bench-{have:06d}"
        run = {
            "id": run_id,
            "project": "support-agent",
            "project_path": "/tmp/support-agent",
            "set_name": "support",
            "set_path": "/tmp/support.yaml",
            "set_digest": "x",
            "variants": json.dumps([{"name": "baseline"}, {"name": "candidate"}]),
            "repeat": 1,
            "total": 100,
            "status": "complete",
            "pid": None,
            "host": None,
            "started_at": f"2026-01-01T00:{have % 60:02d}:00",
            "heartbeat_at": time.time(),
            "finished_at": None,
            "options": "{}",
        }
        results = []
        for case in range(50):
            for variant in ("baseline", "candidate"):
                passed = rng.random() < 0.85
                row = {
                    "run_id": run_id,
                    "case_id": f"case-{case}",
                    "variant": variant,
                    "repeat": 0,
                    "case_index": case,
                    "category": "functional",
                    "status": "pass" if passed else "fail",
                    "score": 1.0 if passed else 0.0,
                    "weight": 1.0,
                    "output": "Order 12345 is on its way." * 4,
                    "assertions": [{"type": "contains", "passed": passed}],
                    "latency_ms": rng.uniform(200, 2000),
                    "input_tokens": 900,
                    "output_tokens": 80,
                    "cost_usd": 0.0002,
                    "finished_at": time.time(),
                }
                results.append(("result", result_tuple(row)))
        with db.conn:
            write_items(db, [("run", run)])
            write_items(db, results)
        have += 1
    return have, run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", default="100000,300000,1000000")
    parser.add_argument("--runs", default="10,100,1000")
    args = parser.parse_args()
    rng = random.Random(3)
    print(f"load average {os.getloadavg()[0]:.1f}; milliseconds, median of 5")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        db = connect(path)
        have = 0
        columns = ("MB", "list", "status", "search", "trace", "spend")
        print(f"{'spans':>10} " + " ".join(f"{name:>7}" for name in columns))
        for target in (int(n) for n in args.spans.split(",")):
            started = time.perf_counter()
            have, trace_id = grow_spans(db, target, have, rng)
            grown = time.perf_counter() - started
            figures = span_queries(connect(path), trace_id)
            size = path.stat().st_size / 1e6
            print(
                f"{have:>10,} {size:>7.0f} "
                + " ".join(
                    f"{figures[k]:>7.1f}" for k in ("list", "status", "search", "trace", "spend")
                )
                + f"   (grown in {grown:.0f} s)",
                flush=True,
            )
        runs = 0
        print(f"{'eval runs':>10} {'results':>8} {'runs list':>9} {'report':>7}")
        for target in (int(n) for n in args.runs.split(",")):
            runs, run_id = grow_runs(db, target, runs, rng)
            reader = connect(path)
            listed = timed(lambda reader=reader: list_runs(reader, limit=50))
            report = timed(lambda reader=reader, run_id=run_id: run_report(reader, run_id))
            print(f"{runs:>10,} {runs * 100:>8,} {listed:>9.1f} {report:>7.1f}", flush=True)


if __name__ == "__main__":
    main()

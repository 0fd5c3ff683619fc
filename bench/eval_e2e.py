"""Eval end to end: the scaffolded support agent against the mock with 100 ms per call.

Run: ``python bench/eval_e2e.py [--cases 200] [--concurrency 16] [--latency-ms 100]
[--trace-checks]``

Scaffolds the agent-service template into a temporary folder, writes a set of
order, policy and greeting questions (a latency check each; with ``--trace-checks`` also
one that reads the trace, so each turn waits for its spans' export), and runs it for
the baseline and candidate variants (cases × 2 pairs) through the real worker pool,
collector and mock.
Every LLM call waits ``--latency-ms`` at the mock, so the ideal wall time is
LLM calls × latency ÷ concurrency. Target: within 1.2× of the ideal.

Besides wall time it prints the CPU the agent's runner children spent during the run
(per turn: what the agent costs), the CPU per turn of every part of the run
(``bench/cpu_breakdown.py``: the eval runner's event loop and result writes, the mock, the
collector, the agent children, any decode process), the spans stored per turn, the turn
latency the engine saw against the model's share, and the machine's load average before
and after, since on a shared 2-core machine the figures mean little without it. The ratio
is warm (from the run's start, children started and warmed up); the cold figures count
from starting the eval: its first result, and its last. Then the template agent's turns are profiled
one at a time (``bench/agent_profile.py``): its CPU per turn and the functions taking it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu_breakdown import CpuMeter, report  # noqa: E402

QUESTIONS = [
    "Where is order 12345?",
    "Has order 23456 shipped yet?",
    "How long does shipping take?",
    "What is your return policy?",
    "Hello!",
    "What's the status of order 45678?",
    "Is there a warranty on electronics?",
    "Thanks, bye!",
]


MINIMAL_AGENT = '''
"""One chat call straight to the model over HTTP: the harness without the template's agent."""
import httpx

_client = None


async def run_turn(request):
    global _client
    if _client is None:
        _client = httpx.AsyncClient(timeout=60, trust_env=False)
    model = request["model"].split("/", 1)[-1]
    messages = [{"role": "user", "content": request["input"]}]
    reply = await _client.post(request["api_base"] + "/chat/completions",
                               json={"model": model, "messages": messages})
    data = reply.json()
    usage = data.get("usage") or {}
    return {"output": data["choices"][0]["message"].get("content") or "", "status": "ok",
            "steps": 1, "usage": {"input_tokens": usage.get("prompt_tokens", 0),
                                  "output_tokens": usage.get("completion_tokens", 0)}}
'''


def write_set(project: Path, cases: int, trace_checks: bool = False) -> None:
    """Distinct inputs, so the agent's exact-match response cache never answers.

    With ``trace_checks`` every case also has a check that reads its trace (``max-steps``),
    so every turn waits for its spans to be exported before it returns.
    """
    lines = ["name: bench", "cases:"]
    for index in range(cases):
        question = QUESTIONS[index % len(QUESTIONS)]
        lines += [
            f"  - id: q{index}",
            f"    input: {question + f' (ref {index})'!r}",
            "    assert:",
            "      - type: latency",
            "        threshold: 60000",
        ]
        if trace_checks:
            lines += ["      - type: max-steps", "        value: 8"]
    (project / "evals" / "bench.yaml").write_text("\n".join(lines) + "\n")


def use_minimal_agent(project: Path) -> None:
    """Point ``[agent] entry`` at a one-call agent written into the project's package."""
    (project / "src" / "bench_agent" / "minimal.py").write_text(MINIMAL_AGENT)
    config = project / "workbench.toml"
    text = config.read_text()
    config.write_text(
        text.replace("bench_agent.agents.entry:run_turn", "bench_agent.minimal:run_turn")
    )


def runner_children_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of this process's runner children, by pid (Linux /proc)."""
    found: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != os.getpid():
                continue
            if b"workbench.core.runner.child" not in (entry / "cmdline").read_bytes():
                continue
        except (OSError, IndexError, ValueError):
            continue
        found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def load_average() -> str:
    """The 1-minute load average, and how many cores share it."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


async def run(project_dir: Path, concurrency: int) -> tuple[float, int, int]:
    from workbench.core.evals.session import execute, prepare_run
    from workbench.core.projects import open_project
    from workbench.store.db import connect

    project = open_project(project_dir)
    plan = prepare_run(
        project, set_name="bench", variant_names=["baseline", "candidate"], concurrency=concurrency
    )
    marks: dict[str, float] = {}
    meter = CpuMeter()
    parts: dict[str, dict[str, float]] = {}

    def listener(event) -> None:
        name = type(event).__name__
        if name == "ResultRecorded" and "first" not in marks:
            marks["first"] = time.perf_counter()
        if name == "RunStarted":
            marks["start"], marks["cpu0"] = time.perf_counter(), time.process_time()
            children["start"] = runner_children_cpu()
            parts["start"] = meter.snapshot()
        elif name == "RunFinished":
            marks["end"], marks["cpu1"] = time.perf_counter(), time.process_time()
            children["end"] = runner_children_cpu()
            parts["end"] = meter.snapshot()

    children: dict[str, dict[int, float]] = {}
    marks["begin"] = time.perf_counter()
    counts = await execute(plan, project, listener=listener)
    print(
        f"workbench process CPU during the run: {marks['cpu1'] - marks['cpu0']:.2f} s"
        " (engine, mock and collector threads; the agent's children not included)"
    )
    before, after = children.get("start", {}), children.get("end", {})
    agent_cpu = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    if after:
        print(
            f"agent children CPU during the run: {agent_cpu:.2f} s in {len(after)} children"
            f" ({agent_cpu / plan.total * 1000:.1f} ms per turn)"
        )
    used = CpuMeter.since(parts["start"], parts["end"])
    print("\n".join(report(used, plan.total, marks["end"] - marks["start"])))
    db = connect()
    row = db.execute(
        "SELECT SUM(steps), SUM(status = 'error') FROM eval_results WHERE run_id = ?",
        [plan.run_id],
    ).fetchone()
    latencies = sorted(
        value
        for (value,) in db.execute(
            "SELECT latency_ms FROM eval_results WHERE run_id = ?", [plan.run_id]
        ).fetchall()
    )
    spans = db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
    print(f"spans stored: {spans} ({spans / plan.total:.1f} per turn, warm-up turns included)")
    if latencies:
        print(
            f"turn latency as the engine saw it: mean {sum(latencies) / len(latencies):.1f} ms,"
            f" p50 {latencies[len(latencies) // 2]:.1f} ms,"
            f" p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms"
            f" (the model's share: {os.environ['WORKBENCH_MOCK_LATENCY_MS']} ms a call)"
        )
    assert counts.done == plan.total
    print(
        f"cold: from starting the eval (runner children, mock and collector starting) to its "
        f"first result {marks['first'] - marks['begin']:.2f} s; to its last "
        f"{marks['end'] - marks['begin']:.2f} s"
    )
    return marks["end"] - marks["start"], int(row[0] or 0), int(row[1] or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--agent", choices=["template", "minimal", "both"], default="both")
    parser.add_argument(
        "--trace-checks",
        action="store_true",
        help="give every case a check that reads its trace (turns then wait for their export)",
    )
    parser.add_argument(
        "--profile-turns",
        type=int,
        default=40,
        help="turns of the template agent to profile after the runs (0: none)",
    )
    args = parser.parse_args()
    agents = ["template", "minimal"] if args.agent == "both" else [args.agent]
    for agent in agents:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")
            os.environ["WORKBENCH_MOCK_LATENCY_MS"] = str(args.latency_ms)
            subprocess.run(
                [sys.executable, "-m", "workbench", "new", "bench-agent", "--dir", tmp],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            project = Path(tmp) / "bench-agent"
            (project / "evals").mkdir(exist_ok=True)
            write_set(project, args.cases, args.trace_checks)
            if agent == "minimal":
                use_minimal_agent(project)
            load_before = load_average()
            elapsed, calls, errors = asyncio.run(run(project, args.concurrency))
            print(f"[{agent} agent] {load_before} before the run, {load_average()} after")
            if agent == "template" and args.profile_turns:
                from agent_profile import profile_agent

                profile_agent(project, args.profile_turns)
        pairs = args.cases * 2
        ideal = calls * args.latency_ms / 1000 / args.concurrency
        print(f"[{agent} agent] pairs: {pairs} (cases × baseline, candidate), errors: {errors}")
        print(
            f"[{agent} agent] LLM calls: {calls} at {args.latency_ms:g} ms, "
            f"concurrency {args.concurrency}"
        )
        print(
            f"[{agent} agent] ideal: {ideal:.2f} s   wall: {elapsed:.2f} s   "
            f"ratio: {elapsed / ideal:.2f}× (target ≤ 1.2×)"
        )


if __name__ == "__main__":
    main()

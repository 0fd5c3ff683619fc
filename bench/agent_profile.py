"""Where a scaffolded agent spends CPU per turn: its ``run_turn`` in cProfile, turn after turn.

Used by ``bench/eval_e2e.py`` (and runnable alone:
``python bench/agent_profile.py PROJECT_DIR [--turns 60]``). A child process with the
runner's environment imports the project's ``[agent] entry``, runs a few warm-up turns
against the workbench mock (0 ms latency) with tracing to a private collector, then
runs ``--turns`` eval-style turns one after another unprofiled (its CPU per turn, every
thread of the child) and ``--turns`` more under cProfile (the functions that take it).
One turn at a time, so the child's CPU is the agent's own (the mock and the collector run
in this process's threads).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, cProfile, importlib, io, json, pstats, sys, time
entry, api_base, turns = sys.argv[1], sys.argv[2], int(sys.argv[3])
module, _, name = entry.partition(":")
run_turn = getattr(importlib.import_module(module), name)
questions = ["Where is order 12345?", "What is your return policy?", "Hello!",
             "How long does shipping take?"]

def request(index):
    return {
        "input": f"{questions[index % len(questions)]} (ref r{index})",
        "session_id": f"profile-{index}",
        "model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": "mock",
        "span_attributes": {"workbench.variant": "baseline", "workbench.model_source": "mock",
                            "workbench.eval_run": "profile", "workbench.eval_case": str(index)},
    }

async def main():
    for index in range(8):
        result = await run_turn(request(index))
        assert result["status"] == "ok", result
    # Unprofiled first: the CPU a turn costs (every thread of this process), then the profile.
    plain, wall = time.process_time(), time.perf_counter()
    for index in range(8, 8 + turns):
        await run_turn(request(index))
    plain, plain_wall = time.process_time() - plain, time.perf_counter() - wall
    # CPU of this (the event loop's) thread, so waiting in epoll costs nothing.
    profile = cProfile.Profile(time.thread_time)
    cpu, wall = time.process_time(), time.perf_counter()
    profile.enable()
    for index in range(8 + turns, 8 + 2 * turns):
        await run_turn(request(index))
    profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    ours = r"agents|infra|tools|litellm/router|openai/_base"
    stats.sort_stats("cumulative").print_stats(ours, 22)
    print(json.dumps({"cpu_ms": cpu / turns * 1000, "wall_ms": wall / turns * 1000,
                      "plain_cpu_ms": plain / turns * 1000,
                      "plain_wall_ms": plain_wall / turns * 1000}))
    print(out.getvalue())

asyncio.run(main())
"""


def profile_agent(project_dir: Path, turns: int = 60) -> None:
    """Run the child against a private mock and collector; print its per-turn profile."""
    sys.path.insert(0, str(ROOT))
    from workbench.core.collector.server import start_collector
    from workbench.core.mock.server import start_mock
    from workbench.core.projects import open_project
    from workbench.core.runner.env import child_env

    project = open_project(project_dir)
    # The traces go to a scratch database: the project folder may be a committed one.
    scratch = tempfile.TemporaryDirectory(prefix="bench-profile-")
    mock = start_mock(project_dir=project.path, latency_ms=0)
    collector = start_collector(db_path=Path(scratch.name) / "traces.db")
    try:
        env = child_env(project, otlp_endpoint=collector.url)
        output = subprocess.run(
            [sys.executable, "-c", CHILD, project.config.agent.entry, mock.api_base, str(turns)],
            cwd=project.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        mock.stop()
        collector.stop()
        scratch.cleanup()
    if output.returncode != 0:
        raise SystemExit(f"the profiled agent failed:\n{output.stderr[-2000:]}")
    lines = output.stdout.splitlines()
    figures = next(line for line in lines if line.startswith('{"cpu_ms"'))
    import json

    numbers = json.loads(figures)
    print(
        f"[profile] the template agent, one turn at a time against the mock at 0 ms: "
        f"{numbers['plain_cpu_ms']:.1f} ms CPU per turn (wall {numbers['plain_wall_ms']:.1f} ms; "
        f"under cProfile {numbers['cpu_ms']:.1f} ms CPU, wall {numbers['wall_ms']:.1f} ms; "
        f"load {os.getloadavg()[0]:.2f})"
    )
    start = lines.index(figures) + 1
    print("\n".join(line for line in lines[start:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()
    profile_agent(args.project.resolve(), args.turns)


if __name__ == "__main__":
    main()

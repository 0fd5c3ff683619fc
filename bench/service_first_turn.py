"""The generated service's first turn after /readiness turns green, with and without warm-up.

Usage: python bench/service_first_turn.py [--rounds 2]

Starts projects/support-agent under uvicorn against the workbench mock, waits for
/readiness = 200, then times three turns. "cold" empties the warm-up steps (what the
service did before it warmed up at start-up); "warm" is the service as generated. Rounds
alternate so both see the same machine load. Target: the first warm turn within 3x the
third one (normal latency).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "projects" / "support-agent"
SERVE = """
import sys, uvicorn
from support_agent.api import readiness
if sys.argv[2] == "cold":
    readiness.WARMUP_STEPS.clear()
uvicorn.run("support_agent.api.app:app", port=int(sys.argv[1]), log_level="warning")
"""
TURNS = ("hi", "Where is order 12345?", "hello again")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _trial(mode: str, api_base: str, data: Path) -> tuple[float, list[float]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(
        PYTHONPATH=str(PROJECT / "src"),
        AGENT_ENVIRONMENT="development",
        AGENT_API_KEYS="bench-key",
        AGENT_LLM_API_BASE=api_base,
        AGENT_STATE_URL=f"sqlite:///{data / f'{mode}-{port}.sqlite3'}",
    )
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port), mode],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            try:
                if httpx.get(base + "/readiness", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        ready_s = time.perf_counter() - started
        turns = []
        for text in TURNS:
            began = time.perf_counter()
            httpx.post(
                base + "/agent/run",
                json={"input": text},
                headers={"X-API-Key": "bench-key"},
                timeout=120,
            ).raise_for_status()
            turns.append(time.perf_counter() - began)
    finally:
        server.terminate()
        server.wait(30)
    return ready_s, turns


def main() -> int:
    """Alternate cold and warm services; print readiness time and three turn latencies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from workbench.core.mock.server import start_mock

    mock = start_mock(project_dir=PROJECT)
    try:
        with tempfile.TemporaryDirectory() as data:
            for _ in range(args.rounds):
                for mode in ("cold", "warm"):
                    ready_s, turns = _trial(mode, mock.api_base, Path(data))
                    figures = "  ".join(
                        f"turn{i + 1} {t * 1000:7.0f} ms" for i, t in enumerate(turns)
                    )
                    print(f"{mode:5s} ready after {ready_s:5.1f} s  {figures}")
    finally:
        mock.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

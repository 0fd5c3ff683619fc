"""How long /healthz waits while the generated service guard-checks a ~1 MB conversation.

Usage: python bench/service_loop_stall.py [--rounds 2]

Starts projects/support-agent under uvicorn (client history accepted, 255 messages of 3,900
characters, ~1 MB) and polls /healthz while each request is checked. "inline" runs the
input guardrails on the event loop (what the service did before); "thread" is the service
as generated (a worker thread). Rounds alternate so both see the same machine load; prints
the worst /healthz latency of each of three requests.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "projects" / "support-agent"
SERVE = """
import asyncio, sys, uvicorn
from support_agent.agents import entry
if sys.argv[2] == "inline":
    class Inline:
        def __getattr__(self, name):
            return getattr(asyncio, name)
        @staticmethod
        async def to_thread(function, *args, **kwargs):
            return function(*args, **kwargs)
    entry.asyncio = Inline()
uvicorn.run("support_agent.api.app:app", port=int(sys.argv[1]), log_level="warning")
"""
TEXT = ("hello, my order was late, call me at 555 123 4567 please " * 80)[:3900]
CONVERSATION = [
    {"role": "user" if index % 2 == 0 else "assistant", "content": TEXT} for index in range(255)
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worst_healthz(base: str) -> float:
    done = threading.Event()

    def post() -> None:
        httpx.post(
            base + "/agent/run",
            json={"input": CONVERSATION},
            headers={"X-API-Key": "bench-key"},
            timeout=120,
        )
        done.set()

    poster = threading.Thread(target=post)
    poster.start()
    latencies = []
    with httpx.Client() as client:
        while not done.is_set():
            began = time.perf_counter()
            client.get(base + "/healthz")
            latencies.append(time.perf_counter() - began)
            time.sleep(0.005)
    poster.join()
    return max(latencies)


def _trial(mode: str, data: Path) -> list[float]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(
        PYTHONPATH=str(PROJECT / "src"),
        AGENT_ENVIRONMENT="development",
        AGENT_API_KEYS="bench-key:C-1001",
        AGENT_ACCEPT_CLIENT_HISTORY="true",
        # Nothing listens there: the turn ends after the guardrails, at the model call.
        AGENT_LLM_API_BASE="http://127.0.0.1:9/v1",
        AGENT_LLM_NUM_RETRIES="0",
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
    try:
        while True:
            try:
                if httpx.get(base + "/readiness", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        return [_worst_healthz(base) for _ in range(3)]
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    """Alternate inline and thread services; print the worst /healthz latency per request."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        for _ in range(args.rounds):
            for mode in ("inline", "thread"):
                worst = _trial(mode, Path(data))
                figures = ", ".join(f"{value * 1000:.0f} ms" for value in worst)
                print(f"{mode:6s} worst /healthz latency per request: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The generated service's own overhead: a fresh scaffold against a minimal FastAPI baseline.

Run: ``python bench/service.py [--requests 400] [--concurrency 20] [--rounds 2]``

Scaffolds the agent-service template (``workbench new``) into a temporary folder and
serves it under uvicorn on a free port with every production feature on (tracing to a
``workbench collect`` receiver, guardrails, budgets, rate limits, shared state in SQLite,
API keys, production environment), against ``workbench mock serve`` at 0 ms latency. In
the same run it serves a minimal baseline (FastAPI + the OpenAI SDK, the same system
prompt and tool schemas, the same tool calls, the same mock; no guardrails, tracing,
state or budgets). Both answer the same mix of order, policy and greeting questions
(each request distinct, so no response cache answers) from ``--concurrency`` clients.

Printed per service: requests/s and p50/p95 latency at that concurrency (warm: after
20 warm-up requests), the cold first request after the service reports ready, the CPU
per request of the service, the mock and the collector (what holds the throughput
back on a shared machine), and the ratio of the two throughputs. The services
alternate for ``--rounds`` rounds, so a change in the machine's load biases neither.
Then the template's service runs once more under cProfile under the same load and the
top costs are printed (the CPU time of its event-loop thread during the measured requests;
worker threads are not profiled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "bench_service"
QUESTIONS = (
    "Where is order 12345?",
    "What is your return policy?",
    "Hello!",
    "Has order 12345 been delivered?",
    "How long does shipping take?",
)
API_KEY = "bench-service-client-key-0001"

BASELINE = r'''
"""The baseline: FastAPI and the OpenAI SDK, the template's prompt and tools, nothing else."""
import json
import os
import re
from datetime import date, timedelta

from fastapi import FastAPI
from openai import AsyncOpenAI
from pydantic import BaseModel

SETUP = json.loads(open(os.environ["BASELINE_SETUP"]).read())
client = AsyncOpenAI(base_url=os.environ["BASELINE_API_BASE"], api_key="mock", max_retries=0)
app = FastAPI()


class Turn(BaseModel):
    input: str


def lookup_order(order_id: str) -> dict:
    for order in SETUP["shop"]["orders"]:
        if order["order_id"] == order_id:
            found = {"found": True, **order}
            if "delivered_days_ago" in order:
                found["delivered_on"] = str(date.today() - timedelta(order["delivered_days_ago"]))
            return found
    return {"found": False}


def search_knowledge_base(query: str, top_k: int = 3) -> list:
    words = {w for w in re.findall(r"[a-z]+", query.lower()) if len(w) > 2}
    hits = [a for a in SETUP["shop"]["articles"]
            if any(w in (a["title"] + " " + a["body"]).lower() for w in words)]
    return hits[:top_k]


TOOLS = {"lookup_order": lookup_order, "search_knowledge_base": search_knowledge_base}


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.post("/run")
async def run(turn: Turn):
    messages = [{"role": "system", "content": SETUP["system"]},
                {"role": "user", "content": turn.input}]
    for _ in range(8):
        reply = await client.chat.completions.create(
            model=SETUP["model"], messages=messages, tools=SETUP["tools"])
        message = reply.choices[0].message
        if not message.tool_calls:
            return {"output": message.content, "status": "ok"}
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            tool = TOOLS.get(call.function.name)
            result = tool(**json.loads(call.function.arguments)) if tool else {"error": "unknown"}
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps(result)})
    return {"output": "", "status": "error"}
'''

PROFILED = r"""
import cProfile, signal, sys, time, uvicorn

def stop(*_):  # uvicorn re-raises SIGTERM after its graceful shutdown: end here, dump below
    raise SystemExit(0)

# The CPU time of the event loop's thread (not its waits in epoll), from SIGUSR1 to SIGUSR2:
# the measured requests only, not the start-up or the warm-up. Handlers run on that thread.
profile = cProfile.Profile(time.thread_time)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
signal.signal(signal.SIGUSR2, lambda *_: profile.disable())
try:
    uvicorn.run(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
finally:
    profile.disable()
    profile.dump_stats(sys.argv[3])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def wait_until(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({process.returncode})")
        try:
            if httpx.get(url, timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process and its live children (Linux /proc)."""
    try:
        total = 0.0
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return total + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return 0.0


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Stack:
    """The scaffold, the mock and the collector, shared by every trial of the run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
        self.env["WORKBENCH_HOME"] = str(folder / "home")
        subprocess.run(
            [sys.executable, "-m", "workbench", "new", "bench-service", "--dir", str(folder)],
            check=True,
            cwd=ROOT,
            env=self.env,
            capture_output=True,
        )
        self.project = folder / "bench-service"
        self.mock_port, self.collector_port = free_port(), free_port()
        workbench = [sys.executable, "-m", "workbench"]
        mock_options = ["--port", str(self.mock_port), "--latency-ms", "0"]
        self.mock = subprocess.Popen(
            [*workbench, "mock", "serve", "--project", str(self.project), *mock_options],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.collector = subprocess.Popen(
            [*workbench, "collect", "--port", str(self.collector_port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(f"http://127.0.0.1:{self.collector_port}/healthz", self.collector)
        self.api_base = f"http://127.0.0.1:{self.mock_port}/v1"
        wait_until(f"{self.api_base}/models", self.mock)
        self.setup = folder / "baseline-setup.json"
        self.setup.write_text(json.dumps(self._baseline_setup()))
        (folder / "baseline_app.py").write_text(BASELINE)

    def _baseline_setup(self) -> dict:
        """The template's current system prompt, tool schemas and shop data, for the baseline."""
        code = (
            "import json, yaml\n"
            f"from {PACKAGE}.tools.shop import get_registry, shop_data\n"
            "prompts = yaml.safe_load(open('prompts/system.yaml'))\n"
            "print(json.dumps({'system': prompts['versions'][prompts['current']],"
            " 'tools': get_registry().schemas(), 'shop': shop_data()}))\n"
        )
        output = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.project,
            env={**self.template_env(), "AGENT_ENVIRONMENT": "development"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return {**json.loads(output), "model": "gpt-4o-mini"}

    def template_env(self) -> dict[str, str]:
        """Production settings, the mock as the model, tracing to the collector."""
        return {
            **self.env,
            "PYTHONPATH": str(self.project / "src"),
            "AGENT_ENVIRONMENT": "production",
            "AGENT_API_KEYS": f"{API_KEY}:C-1001",
            "AGENT_APPROVER_KEYS": "bench-service-approver-key-0001",
            "AGENT_OPERATOR_KEYS": "bench-service-operator-key-0001",
            "AGENT_MODEL_OVERRIDE": "openai/gpt-4o-mini",
            "AGENT_LLM_API_BASE": self.api_base,
            "AGENT_LLM_API_KEY": "mock",
            "AGENT_STATE_URL": f"sqlite:///{self.folder / 'state.sqlite3'}",
            # Rate limiting stays on; its limit sits above what the bench sends.
            "AGENT_RATE_LIMIT": "1000000/minute",
            "WORKBENCH_MODEL_SOURCE": "mock",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.collector_port}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": "bench-service",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
        }

    def start(self, which: str, profile_to: Path | None = None) -> tuple[subprocess.Popen, str]:
        """The template's service or the baseline on a free port, ready; its base URL."""
        port = free_port()
        if which == "template":
            app, env, cwd = f"{PACKAGE}.api.app:app", self.template_env(), self.project
            ready = "/readiness"
        else:
            app, cwd, ready = "baseline_app:app", self.folder, "/healthz"
            env = {
                **self.env,
                "PYTHONPATH": str(self.folder),
                "BASELINE_SETUP": str(self.setup),
                "BASELINE_API_BASE": self.api_base,
            }
        if profile_to is not None:
            command = [sys.executable, "-c", PROFILED, app, str(port), str(profile_to)]
        else:
            command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
            command += ["--log-level", "warning"]
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(base + ready, process)
        return process, base

    def close(self) -> None:
        stop(self.mock)
        stop(self.collector)


async def drive(base: str, path: str, total: int, concurrency: int, offset: int) -> dict:
    """``total`` distinct requests from ``concurrency`` clients; latencies and failures."""
    latencies: list[float] = []
    failures: list[str] = []
    counter = iter(range(offset, offset + total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, trust_env=False, limits=limits) as client:

        async def one_client() -> None:
            for index in counter:
                # A distinct request each time (no response cache answers); no 4-digit run,
                # so the order number the mock's rules pick stays the question's.
                text = f"{QUESTIONS[index % len(QUESTIONS)]} (ref r{index})"
                began = time.perf_counter()
                response = await client.post(
                    base + path, json={"input": text}, headers={"X-API-Key": API_KEY}
                )
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200 or response.json().get("status") != "ok":
                    failures.append(f"{response.status_code} {response.text[:160]}")

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "failures": failures}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def trial(stack: Stack, which: str, args, offset: int) -> dict:
    """Serve ``which``, time its cold first request, warm it up, then measure under load."""
    process, base = stack.start(which)
    path = "/agent/run" if which == "template" else "/run"
    try:
        load = load_average()
        cold = asyncio.run(drive(base, path, 1, 1, offset))
        asyncio.run(drive(base, path, 20, args.concurrency, offset + 1))
        pids = {"service": process.pid, "mock": stack.mock.pid, "collector": stack.collector.pid}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        warm = asyncio.run(drive(base, path, args.requests, args.concurrency, offset + 21))
        cpu = {
            name: (cpu_seconds(pid) - before[name]) / args.requests * 1000
            for name, pid in pids.items()
        }
    finally:
        stop(process)
    failures = cold["failures"] + warm["failures"]
    if failures:
        raise SystemExit(f"{which}: {len(failures)} requests failed, e.g. {failures[0]}")
    latencies = warm["latencies"]
    return {
        "rate": len(latencies) / warm["elapsed"],
        "p50": statistics.median(latencies) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "cold": cold["latencies"][0] * 1000,
        "load": load,
        "cpu": cpu,
    }


def profile(stack: Stack, args, folder: Path) -> None:
    """The template's service under the same load, in cProfile; its top costs."""
    stats_path = folder / "service.prof"
    process, base = stack.start("template", profile_to=stats_path)
    try:
        asyncio.run(drive(base, "/agent/run", 20, args.concurrency, 10**6))
        process.send_signal(signal.SIGUSR1)
        asyncio.run(drive(base, "/agent/run", args.requests, args.concurrency, 10**6 + 20))
        process.send_signal(signal.SIGUSR2)
    finally:
        stop(process)
    stats = pstats.Stats(str(stats_path))
    total = stats.total_tt  # type: ignore[attr-defined]  # pstats keeps it, untyped
    per = total / args.requests * 1000
    print(
        f"\nprofile of the template's service (cProfile, CPU time of the event-loop thread): "
        f"{total:.2f} s over {args.requests} requests, {per:.1f} ms a request"
    )
    print("top functions by own time:")
    stats.sort_stats("tottime").print_stats(18)
    print("top functions by cumulative time (the service's own code and its libraries):")
    stats.sort_stats("cumulative").print_stats(r"bench_service|litellm|opentelemetry|openai", 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  requests: {args.requests}  concurrency: {args.concurrency}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        stack = Stack(folder)
        try:
            results: dict[str, list[dict]] = {"baseline": [], "template": []}
            offset = 0
            for round_index in range(args.rounds):
                for which in ("baseline", "template"):
                    result = trial(stack, which, args, offset)
                    offset += args.requests + 21
                    results[which].append(result)
                    print(
                        f"round {round_index + 1} {which:8s} (load {result['load']}): "
                        f"{result['rate']:6.1f} requests/s  p50 {result['p50']:6.0f} ms  "
                        f"p95 {result['p95']:6.0f} ms  cold first request {result['cold']:6.0f} ms"
                    )
                    print(
                        "      CPU per request: "
                        + ", ".join(f"{k} {v:.1f} ms" for k, v in result["cpu"].items())
                    )
            rate = {k: statistics.median(r["rate"] for r in v) for k, v in results.items()}
            ratios = [
                t["rate"] / b["rate"]
                for t, b in zip(results["template"], results["baseline"], strict=True)
            ]
            print(
                f"median: template {rate['template']:.1f} requests/s, baseline "
                f"{rate['baseline']:.1f} requests/s; ratio template / baseline "
                f"{statistics.median(ratios):.2f} (per round: "
                f"{', '.join(f'{r:.2f}' for r in ratios)}; target ≥ 0.5)"
            )
            if not args.no_profile:
                profile(stack, args, folder)
        finally:
            stack.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

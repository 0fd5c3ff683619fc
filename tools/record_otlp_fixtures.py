"""Record the OTLP exports of real GenAI instrumentation libraries as test fixtures.

Usage (from the repository root, in the workbench's venv)::

    pip install openinference-instrumentation-openai opentelemetry-instrumentation-openai \
        opentelemetry-instrumentation-openai-v2
    python tools/record_otlp_fixtures.py [--out DIR] [CONVENTION ...]

It starts ``workbench mock serve`` on a free port with two rules (the first call of
a turn gets a ``get_weather`` tool call, the call after the tool result gets text),
and a tiny local HTTP server that captures every OTLP request. Then, for each
convention, a fresh child process instruments the ``openai`` SDK (or litellm) with
the real library, exporting over OTLP/HTTP protobuf to the capture server, and runs
one two-step turn. The raw request bodies are written to
``tests/fixtures/otlp/<convention>/<signal>-<n>.pb`` (signal: traces, logs,
metrics), replacing what was there. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from record_otlp_children import ANSWER  # the same folder; run as a script

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "otlp"
CHILD = Path(__file__).resolve().parent / "record_otlp_children.py"
CONVENTIONS = (
    "genai-semconv",
    "genai-events",
    "openinference",
    "openllmetry",
    "openllmetry-legacy",
    "litellm",
)
# OpenLLMetry before 0.53 spread messages over gen_ai.prompt.N.* / gen_ai.completion.N.*
# (many agents still pin such a release): recorded with this one, installed aside.
LEGACY_OPENLLMETRY = (
    "opentelemetry-instrumentation-openai==0.52.6",
    "opentelemetry-semantic-conventions-ai==0.4.13",
)
SIGNALS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}

RULES = f"""\
rules:
  - id: weather-tool
    when:
      user: {{contains: weather}}
      tool_results: false
    respond:
      tool_calls:
        - name: get_weather
          arguments: {{city: Paris}}
  - id: weather-answer
    when:
      tool_results: true
    respond:
      text: "{ANSWER}"
"""
CONFIG = """\
[project]
name = "weather-agent"
package = "weather_agent"

[agent]
entry = "weather_agent.entry:run_turn"
"""


class _Capture(BaseHTTPRequestHandler):
    """Keeps every POST body, answering like an OTLP server that accepted everything."""

    captured: list[tuple[str, bytes]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            self.captured.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _start_mock(project: Path) -> tuple[subprocess.Popen, str]:
    from workbench.core.serving import free_port

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "mock",
            "serve",
            "--project",
            str(project),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "WORKBENCH_HOME": str(project / ".home")},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, f"{base}/v1"
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the mock did not start")


def record(conventions: list[str], out: Path = FIXTURES) -> None:
    """Record every convention in ``conventions`` into ``out`` (tests/fixtures/otlp/)."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "workbench.toml").write_text(CONFIG)
        (project / "mocks").mkdir()
        (project / "mocks" / "weather.yaml").write_text(RULES)
        mock, api_base = _start_mock(project)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for convention in conventions:
                _Capture.captured.clear()
                env = {key: value for key, value in os.environ.items() if "OTEL" not in key}
                if convention == "openllmetry-legacy":
                    env["PYTHONPATH"] = _install_aside(Path(tmp) / "legacy", LEGACY_OPENLLMETRY)
                subprocess.run(
                    [sys.executable, str(CHILD), convention, api_base, endpoint],
                    check=True,
                    env=env,
                )
                _write(out / convention, list(_Capture.captured))
        finally:
            server.shutdown()
            mock.terminate()
            mock.wait(timeout=10)


def _install_aside(target: Path, requirements: tuple[str, ...]) -> str:
    """Install ``requirements`` (without their dependencies) into ``target``; return it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            *requirements,
        ],
        check=True,
    )
    return str(target)


def _write(folder: Path, captured: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.pb"):
        old.unlink()
    counts: dict[str, int] = {}
    for path, body in captured:
        signal = SIGNALS.get(path)
        if signal is None or not body:
            continue
        counts[signal] = counts.get(signal, 0) + 1
        (folder / f"{signal}-{counts[signal]}.pb").write_bytes(body)
    print(f"{folder.name}: {json.dumps(counts)}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    out = FIXTURES
    if arguments[:1] == ["--out"] and len(arguments) > 1:
        out, arguments = Path(arguments[1]).resolve(), arguments[2:]
    record(arguments or list(CONVENTIONS), out)

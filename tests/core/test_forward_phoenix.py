"""``workbench collect --forward`` into a real Arize Phoenix, read back from Phoenix's REST API.

Phoenix (PyPI ``arize-phoenix``, a dev dependency) runs as its own process on free
ports with a temporary working directory, offline. A GenAI trace exported by the
real OpenTelemetry SDK goes into ``workbench collect``, which stores it and
forwards it; Phoenix must then list its spans with their GenAI attributes. Then
Phoenix is stopped: local ingest goes on, and ``/healthz`` shows the backlog
and, past the queue's size, the drops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from workbench.core.serving import free_port

PROJECT = "workbench-forward-test"
# Override when Phoenix lives in another environment than the tests.
PHOENIX_PYTHON = os.environ.get("WORKBENCH_TEST_PHOENIX_PYTHON", sys.executable)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def phoenix(tmp_path):
    """A Phoenix server on 127.0.0.1, offline, working in a temp folder; stopped after."""
    check = subprocess.run(
        [PHOENIX_PYTHON, "-c", "import phoenix.server.main"], capture_output=True
    )
    assert check.returncode == 0, (
        "arize-phoenix is not installed (a dev dependency: pip install -r requirements-dev.lock)"
    )
    folder = tmp_path / "phoenix"
    folder.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_WORKING_DIR": str(folder),
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOWED_SANDBOX_PROVIDERS": "NONE",
    }
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [PHOENIX_PYTHON, "-m", "phoenix.server.main", "serve"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or httpx.get(f"{url}/healthz", timeout=2).status_code == 200
            ),
            300,
            "Phoenix to start",
        )
        assert process.poll() is None, (folder / "server.log").read_text()[-3000:]
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(60)
        log.close()


@pytest.fixture
def collector(tmp_path):
    """Start ``workbench collect --forward URL`` in its own process; returns a starter."""
    started = []

    def start(forward: str, *extra: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench",
                "collect",
                "--port",
                str(port),
                "--forward",
                forward,
                "--forward-header",
                f"x-project-name={PROJECT}",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 200, 60, "the collector")
        return url

    yield start
    for process in started:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def export_genai_trace(collector_url: str, name: str) -> str:
    """One agent turn (agent span, chat span with GenAI usage) through the real OTel SDK."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "support-agent"}))
    exporter = OTLPSpanExporter(endpoint=f"{collector_url}/v1/traces")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("workbench-test")
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
    with tracer.start_as_current_span(f"invoke_agent {name}", attributes=agent) as root:
        chat = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 120,
            "gen_ai.usage.output_tokens": 30,
        }
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=chat):
            pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


def phoenix_spans(phoenix_url: str, trace_id: str) -> list[dict]:
    answer = httpx.get(f"{phoenix_url}/v1/projects/{PROJECT}/spans", params={"limit": 100})
    if answer.status_code == 404:  # the project appears with its first span
        return []
    answer.raise_for_status()
    return [s for s in answer.json()["data"] if s["context"]["trace_id"] == trace_id]


def stored_spans(trace_id: str) -> int:
    from workbench.store.db import connect
    from workbench.store.traces import get_trace

    detail = get_trace(connect(), trace_id)
    return len(detail.spans) if detail else 0


@pytest.mark.slow
def test_a_genai_trace_reaches_phoenix_and_ingest_survives_phoenix_stopping(phoenix, collector):
    phoenix_url, phoenix_process = phoenix
    collector_url = collector(phoenix_url, "--forward-queue", "2")
    trace_id = export_genai_trace(collector_url, "support")
    spans = wait_until(
        lambda: len(found := phoenix_spans(phoenix_url, trace_id)) == 2 and found,
        120,
        "the trace in Phoenix",
    )
    chat = next(span for span in spans if span["name"] == "chat gpt-4o-mini")
    assert chat["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat["attributes"]["gen_ai.usage.input_tokens"] == 120
    assert (
        chat["parent_id"] == next(s for s in spans if s["parent_id"] is None)["context"]["span_id"]
    )
    assert stored_spans(trace_id) == 2
    health = httpx.get(f"{collector_url}/healthz").json()["forward"]
    assert health["forwarded"] >= 1 and health["dropped"] == 0

    # The upstream goes away: the workbench keeps every trace, the forwarder queues then drops.
    phoenix_process.terminate()
    phoenix_process.wait(60)
    later = [export_genai_trace(collector_url, f"later-{n}") for n in range(5)]
    assert all(stored_spans(trace) == 2 for trace in later)
    health = wait_until(
        lambda: (h := httpx.get(f"{collector_url}/healthz").json()["forward"])["dropped"] > 0 and h,
        60,
        "drops on /healthz",
    )
    assert health["backlog"] >= 1 and health["retried"] >= 1
    assert "ConnectionRefusedError" in health["last_error"]  # a stale connection is not an error

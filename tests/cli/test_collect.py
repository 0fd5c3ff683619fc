"""``workbench collect``: the receiver in the foreground."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.core.serving import free_port
from workbench.store.db import connect
from workbench.store.traces import list_traces

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "otlp"


def test_port_in_use_is_one_line_exit_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(cli, ["collect", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "already in use" in result.output


@pytest.mark.slow
def test_collect_receives_and_stores(workbench_home):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "WORKBENCH_HOME": str(workbench_home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "collect", "--port", str(port), "--max-body-mb", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(trust_env=False, timeout=5) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if http.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "collector did not start"
                time.sleep(0.1)
            spans = agent_turn(random.Random(1), start_ns=time.time_ns())
            body = make_request(spans, service="support-agent").SerializeToString()
            headers = {"Content-Type": "application/x-protobuf"}
            assert http.post(f"{url}/v1/traces", content=body, headers=headers).status_code == 200
            too_big = http.post(f"{url}/v1/traces", content=b"\0" * (2 << 20), headers=headers)
            assert too_big.status_code == 413
            # Logs and metrics as opentelemetry-instrumentation-openai-v2 exported them.
            for signal in ("logs", "metrics"):
                recorded = (FIXTURES / "genai-events" / f"{signal}-1.pb").read_bytes()
                sent = http.post(f"{url}/v1/{signal}", content=recorded, headers=headers)
                assert sent.status_code == 200, sent.content
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/v1/traces" in out
    db = connect()
    (trace,) = list_traces(db)
    db.conn.close()
    assert trace.trace_id == spans[0].trace_id.hex() and trace.span_count == 6
    assert "/v1/logs and /v1/metrics" in out
    db = connect()
    assert db.execute("SELECT COUNT(*) FROM logs").fetchone()[0] > 0
    assert db.execute("SELECT COUNT(*) FROM metric_points").fetchone()[0] > 0
    db.conn.close()

"""End to end: ``workbench dev`` serves the support-agent example; its requests become traces."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_run_support_agent import support_agent  # noqa: F401 (a fixture)
from workbench.core.serving import free_port, port_in_use

REPO = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc), so we can check none survives."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                child = int(stat.parent.name)
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
def test_dev_serves_the_agent_and_records_traces(
    support_agent: Path,  # noqa: F811
    workbench_home: Path,
) -> None:
    port, collector_port = free_port(), free_port()
    env = dict(
        os.environ, WORKBENCH_HOME=str(workbench_home), WORKBENCH_COLLECTOR_PORT=str(collector_port)
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "dev", str(support_agent), "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        # One client for every poll (`httpx.get` builds a client and TLS context per call).
        with httpx.Client(trust_env=False) as http:
            while True:
                try:
                    if http.get(f"{base}/healthz").is_success:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "dev did not serve /healthz in time"
                time.sleep(0.2)
        reply = httpx.post(
            f"{base}/agent/run",
            json={"input": "Help me return order 12345", "prompt_version": "v2"},
            headers={"X-API-Key": "dev-key"},
            trust_env=False,
            timeout=60,
        ).json()
        assert reply["status"] == "ok", reply
        assert reply["usage"]["cost_usd"] > 0

        from workbench.core.runner.stack import wait_for_trace

        # The service answers before its spans are exported: wait until all of them landed.
        deadline = time.monotonic() + 15
        while True:
            trace = wait_for_trace(reply["trace_id"], timeout=10)
            assert trace is not None, "the service's trace did not reach the collector"
            kinds = {span.kind for span in trace.spans}
            if {"agent", "llm", "tool"} <= kinds and trace.cost_usd > 0:
                break
            assert time.monotonic() < deadline, f"incomplete trace: {kinds}, ${trace.cost_usd}"
            time.sleep(0.2)
        children = _children(process.pid)
        assert children, "dev started no child processes"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)  # generous: a loaded machine stops slowly
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert f"{base}/docs" in output
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "children outlived workbench dev"
    assert not port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", collector_port)

"""``workbench dev``: service, collector and mock together; auto-reload; a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_dev_support_agent import _children
from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.dev import DevStack, service_argv
from workbench.core.serving import free_port
from workbench.settings import get_settings

REPO = Path(__file__).resolve().parents[2]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_service_argv_watches_src_and_prompts(tmp_path: Path) -> None:
    project = make_fake_project(tmp_path)
    (tmp_path / "prompts").mkdir()
    argv = service_argv(project, host="127.0.0.1", port=8123)
    assert argv[1:4] == ["-m", "uvicorn", "fake_agent.api:app"]
    assert "--reload" in argv
    dirs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--reload-dir"]
    assert dirs == [str(tmp_path / "src"), str(tmp_path / "prompts")]
    assert "*.yaml" in argv


@pytest.mark.slow
def test_dev_stack_points_the_service_at_mock_and_collector(tmp_path: Path, monkeypatch) -> None:
    project = make_fake_project(tmp_path, dotenv="FAKE_SECRET=s3\n")
    monkeypatch.setenv("WORKBENCH_COLLECTOR_PORT", str(free_port()))
    get_settings.cache_clear()
    port = free_port()
    stack = DevStack(project, port=port, output=subprocess.DEVNULL)
    try:
        addresses = stack.start()
        pgid = stack.process.pid
        assert stack.healthy()
        base = addresses.service

        def env(name: str) -> str | None:
            return httpx.get(f"{base}/env/{name}", trust_env=False).json()["value"]

        assert env("AGENT_LLM_API_BASE") == addresses.mock
        assert env("AGENT_MODEL_OVERRIDE") == "openai/gpt-4o-mini"
        assert env("OTEL_EXPORTER_OTLP_ENDPOINT") == addresses.collector.removesuffix("/v1/traces")
        assert env("FAKE_SECRET") == "s3"
        assert httpx.get(addresses.mock + "/models", trust_env=False).status_code == 200
        first_pid = httpx.get(f"{base}/healthz", trust_env=False).json()["pid"]
        # Auto-reload: a code change restarts the worker.
        api = tmp_path / "src" / "fake_agent" / "api.py"
        api.write_text(api.read_text().replace('"ok": True', '"ok": "reloaded"'))

        def reloaded() -> bool:
            try:
                body = httpx.get(f"{base}/healthz", trust_env=False).json()
            except httpx.HTTPError:
                return False
            return body["ok"] == "reloaded" and body["pid"] != first_pid

        assert _wait(reloaded), "the service did not reload after a code change"
    finally:
        stack.stop()
    assert _wait(lambda: not _group_alive(pgid), 5), "the service's processes outlived stop()"


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_dev_command_runs_until_interrupted(tmp_path: Path, stop_signal: int) -> None:
    """Ctrl-C, or SIGTERM from a supervisor: the service's processes stop with dev."""
    project = make_fake_project(tmp_path)
    port, collector_port = free_port(), free_port()
    env = dict(os.environ, WORKBENCH_COLLECTOR_PORT=str(collector_port))
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "dev", str(project.path), "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        # The service can answer before dev's own probe sees it: wait for dev to announce
        # its addresses, or the interrupt lands while it is still starting.
        assert _wait(lambda: any("Ctrl-C stops" in line for line in lines), 30), "".join(lines)
        reply = httpx.post(
            f"http://127.0.0.1:{port}/agent/run", json={"input": "ping"}, trust_env=False
        ).json()
        assert reply["output"] == "echo: ping"
        worker_pid = httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).json()["pid"]
        reloader_pids = _children(process.pid)
        process.send_signal(stop_signal)
        process.wait(timeout=15)
        reader.join(5)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/docs" in output
    assert f"127.0.0.1:{collector_port}/v1/traces" in output
    assert "/v1" in output and "mock model" in output
    assert _wait(lambda: not _alive(worker_pid), 5), "the service worker outlived dev"
    assert reloader_pids and _wait(lambda: not any(map(_alive, reloader_pids)), 5)
    assert not _port_open(port) and not _port_open(collector_port)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def _port_open(port: int) -> bool:
    from workbench.core.serving import port_in_use

    return port_in_use("127.0.0.1", port)


@pytest.mark.slow
def test_dev_with_a_real_model_checks_its_key_first(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from workbench.cli import cli

    project = make_fake_project(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("WORKBENCH_COLLECTOR_PORT", str(free_port()))
    get_settings.cache_clear()
    port = free_port()
    result = CliRunner().invoke(
        cli, ["dev", str(project.path), "--port", str(port), "--model", "openai/gpt-4o-mini"]
    )
    assert result.exit_code == 2
    assert "OPENAI_API_KEY is not set" in result.output.strip().splitlines()[-1]
    assert not _port_open(port)

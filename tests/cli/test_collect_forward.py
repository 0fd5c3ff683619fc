"""``workbench collect --forward``: one-line errors, and the counters printed when it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from tests.core.test_collector_forward import PROTOBUF, Upstream, export_body
from workbench.cli import cli
from workbench.core.serving import free_port


def test_bad_forward_settings_are_one_line_errors(tmp_path, monkeypatch):
    runner = CliRunner()
    port = str(free_port())
    for args, message in (
        (["--forward", "localhost:4318"], "expected an http(s):// URL"),
        (["--forward", "http://x", "--forward-header", "token"], "expected KEY=VALUE"),
    ):
        result = runner.invoke(cli, ["collect", "--port", port, *args])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    project = tmp_path / "agent"
    project.mkdir()
    (project / "workbench.toml").write_text(
        '[project]\nname = "agent"\npackage = "agent"\n[agent]\nentry = "agent:run"\n'
        '[collect]\nforward = "http://127.0.0.1:6006"\nforward_headers_env = "TEAM_OTLP_HEADERS"\n'
    )
    monkeypatch.delenv("TEAM_OTLP_HEADERS", raising=False)
    result = runner.invoke(cli, ["collect", "--port", port, "--project", str(project)])
    assert result.exit_code == 2 and "TEAM_OTLP_HEADERS is unset" in result.stderr


def test_collect_forwards_and_prints_its_counters(tmp_path):
    upstream = Upstream()
    port = free_port()
    env = {**os.environ, "WORKBENCH_FORWARD_TOKEN": "Bearer t0ken"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "collect",
            "--port",
            str(port),
            "--forward",
            upstream.url,
            "--forward-header",
            f"Authorization={env['WORKBENCH_FORWARD_TOKEN']}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, _ = export_body(7)
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/v1/traces",
                    content=body,
                    headers={"Content-Type": PROTOBUF},
                    trust_env=False,
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert answer.status_code == 200
        upstream.wait_for(lambda u: len(u.received) == 1)
        assert upstream.received[0]["headers"]["authorization"] == "Bearer t0ken"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert f"forwarding every accepted export to {upstream.url} (Authorization)" in out
    assert "forward: 1 forwarded, 0 retried, 0 dropped, 0 refused, backlog 0" in out
    assert "t0ken" not in out + err

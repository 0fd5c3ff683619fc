"""``workbench eval --api-base / --api-key-env / --judge-*``: checked before anything runs."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from tests.core.test_eval_fakes import make_project
from workbench.cli import cli


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--variant", "m=model=mock", "--api-base", "http://127.0.0.1:9/v1"],
            "--api-base is for real-model variants",
        ),
        (["--api-key-env", "LOCAL_KEY"], "pass --api-base too"),
        (["--judge-api-base", "http://127.0.0.1:9/v1"], "--judge-api-base needs --judge-model"),
    ],
)
def test_endpoint_flags_are_one_line_errors(tmp_path, flags, message):
    result = invoke("eval", make_project(tmp_path), *flags)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert message in line


def test_nothing_listening_at_the_api_base_is_one_line_before_the_run(tmp_path):
    base = f"http://127.0.0.1:{closed_port()}/v1"
    result = invoke("eval", make_project(tmp_path), "--variants", "baseline", "--api-base", base)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and lines and "127.0.0.1" in lines[-1]

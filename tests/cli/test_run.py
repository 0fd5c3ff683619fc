"""``workbench run`` with a fake project: the JSON, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.cli import cli
from workbench.core.serving import free_port


@pytest.fixture(autouse=True)
def private_collector(monkeypatch):
    """Never reuse a collector someone runs on the default port."""
    from workbench.settings import get_settings

    monkeypatch.setenv("WORKBENCH_COLLECTOR_PORT", str(free_port()))
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake project does not use litellm: do not pay seconds to import it in each child.

    A dummy key lets "real" models pass the preflight; the fake agent never calls them.
    """
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-for-tests")


@pytest.fixture
def project(tmp_path: Path):
    return make_fake_project(tmp_path)


@pytest.mark.slow
def test_run_against_the_mock_prints_json(project) -> None:
    result = CliRunner().invoke(cli, ["run", str(project.path), "hello", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["output"] == "echo: hello"
    assert data["status"] == "ok"
    assert data["model_source"] == "mock"
    assert data["model"] == "openai/gpt-4o-mini"
    assert len(data["session_id"]) == 16


@pytest.mark.slow
def test_json_passes_the_agents_own_keys_through(project) -> None:
    """rag-agent's ``contexts`` and ``citations`` (any JSON key the agent adds) reach
    ``run --json``; a key the runner reports itself keeps the runner's value."""
    result = CliRunner().invoke(cli, ["run", str(project.path), "cited", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["citations"] == ["d1"]
    assert data["contexts"] == [{"id": "d1", "source": "faq.md", "text": "Returns", "score": 0.5}]
    assert isinstance(data["wall_ms"], float)


def test_extras_that_are_not_json_are_left_out() -> None:
    from workbench.cli.run import agent_extras

    result = {"output": "x", "extra": {"a": [1, 2]}, "client": object(), "nan": float("nan")}
    assert agent_extras(result, {"output": "x"}) == {"extra": {"a": [1, 2]}}


def test_real_model_error_is_one_line_exit_2(project) -> None:
    text = "fail:litellm.AuthenticationError: OpenAIException - Incorrect API key sk-secret12345"
    result = CliRunner().invoke(cli, ["run", str(project.path), text, "--model", "openai/gpt-4o"])
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: model openai/gpt-4o: authentication failed")
    assert "sk-secret" not in last


def test_real_model_error_with_json_still_prints_the_result(project) -> None:
    text = "fail:litellm.APIConnectionError: Connection error."
    result = CliRunner().invoke(
        cli, ["run", str(project.path), text, "--model", "openai/x", "--json", "-s", "s1"]
    )
    assert result.exit_code == 2
    body = result.output[: result.output.rindex("}") + 1]
    data = json.loads(body)
    assert data["status"] == "error"
    assert data["session_id"] == "s1"
    assert data["error"].startswith("model openai/x: cannot connect")


def test_project_crash_is_one_line(project) -> None:
    result = CliRunner().invoke(cli, ["run", str(project.path), "exit", "--model", "openai/x"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "error: the agent's turn failed (crash): the worker process exited with code 9"
    )


def test_timeout_is_one_line(project) -> None:
    result = CliRunner().invoke(
        cli, ["run", str(project.path), "sleep:30", "--model", "openai/x", "--timeout", "0.3"]
    )
    assert result.exit_code == 2
    assert "(timeout): the turn took longer than 0.3 s" in result.output


def test_unknown_variant(project) -> None:
    result = CliRunner().invoke(cli, ["run", str(project.path), "hi", "--variant", "zzz"])
    assert result.exit_code == 2
    expected = "error: no variant 'zzz' in workbench.toml (known: none declared)"
    assert result.output.strip() == expected


def _interrupt_run(project, when, *args: str) -> tuple[subprocess.Popen, str, set[int]]:
    """Start ``workbench run PROJECT *args``, SIGINT it once ``when(children)`` holds; its
    stderr and the runner children it had."""
    from tests.cli.test_dev_support_agent import _children

    repo = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(project.path), *args],
        cwd=repo,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            children |= _children(process.pid)
            if when(children):
                break
            time.sleep(0.02)
        assert when(children), "the run never reached the point to interrupt"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process, stderr, children


def _assert_interrupted(process: subprocess.Popen, stderr: str, children: set[int]) -> None:
    from tests.cli.test_dev_support_agent import _alive

    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted", stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in children if _alive(pid)], "a runner child outlived the run"
    db = Path(os.environ["WORKBENCH_HOME"]) / "workbench.db"
    if db.exists():  # interrupted before or after its collector stored anything: intact
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.slow
def test_ctrl_c_cancels_the_turn_and_stops_the_child(project, tmp_path) -> None:
    flag = tmp_path / "turn-started"
    process, stderr, children = _interrupt_run(
        project, lambda children: flag.exists(), f"flag:{flag}", "-m", "openai/x"
    )
    assert int(flag.read_text()) in children
    _assert_interrupted(process, stderr, children)


@pytest.mark.slow
def test_ctrl_c_while_the_stack_starts_exits_without_waiting_for_it(project) -> None:
    """Interrupted while the mock still imports litellm (seconds) and the child starts."""
    process, stderr, children = _interrupt_run(project, bool, "hello")
    _assert_interrupted(process, stderr, children)


def test_missing_key_fails_before_the_turn(project, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["run", str(project.path), "hi", "-m", "anthropic/claude-x"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: model anthropic/claude-x: ANTHROPIC_API_KEY is not set; put it in the "
        "environment or the project's .env"
    )


def test_key_from_the_projects_dotenv_counts(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    fake = make_fake_project(tmp_path / "p", dotenv="OPENAI_API_KEY=sk-from-dotenv\n")
    args = ["run", str(fake.path), "env:OPENAI_API_KEY", "-m", "openai/x"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "sk-from-dotenv" in result.output  # the fake agent echoes it back
    import os

    assert "OPENAI_API_KEY" not in os.environ


def test_unknown_model_string(project) -> None:
    result = CliRunner().invoke(cli, ["run", str(project.path), "hi", "-m", "nonsense-model"])
    assert result.exit_code == 2
    assert result.output.startswith("error: model nonsense-model: litellm does not know")

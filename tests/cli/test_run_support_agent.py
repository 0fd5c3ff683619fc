"""End to end: ``workbench run`` on the support-agent example against the mock model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.serving import free_port

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Help me return order 12345"


@pytest.fixture(scope="module")
def support_agent(tmp_path_factory) -> Path:
    """A private copy of projects/support-agent (rendered from the template when absent)."""
    target = tmp_path_factory.mktemp("projects") / "support-agent"
    example = REPO / "projects" / "support-agent"
    if (example / "workbench.toml").is_file():
        shutil.copytree(example, target, ignore=shutil.ignore_patterns(".data", "__pycache__"))
    else:
        import copier

        from workbench.locations import templates_dir

        copier.run_copy(
            str(templates_dir() / "agent-service"),
            str(target),
            data={"project_name": "support-agent"},
            defaults=True,
            quiet=True,
            unsafe=True,
        )
    return target


def run_cli(project: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m workbench run PROJECT …`` with its own home and collector port."""
    environment = dict(
        os.environ, WORKBENCH_HOME=str(home), WORKBENCH_COLLECTOR_PORT=str(free_port()), **env
    )
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(project), *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_return_trace(data: dict) -> None:
    """An ok turn whose agent span has LLM and tool children, tokens and a cost."""
    assert data["status"] == "ok"
    assert data["model_source"] == "mock"
    spans = data["trace"]["spans"]
    agents = [span for span in spans if span["kind"] == "agent"]
    assert len(agents) == 1
    children = [span for span in spans if span["parent_id"] == agents[0]["span_id"]]
    assert {"llm", "tool"} <= {span["kind"] for span in children}
    tools = {span["tool_name"] for span in children if span["kind"] == "tool"}
    assert {"lookup_order", "check_return_eligibility"} <= tools
    assert data["trace"]["input_tokens"] > 0 and data["trace"]["output_tokens"] > 0
    assert data["trace"]["cost_usd"] > 0
    assert data["usage"]["cost_usd"] > 0
    names = {call["name"] for call in data["tool_calls"]}
    assert {"lookup_order", "check_return_eligibility"} <= names


@pytest.mark.slow
def test_return_order_through_the_mock(support_agent: Path, workbench_home: Path) -> None:
    done = run_cli(
        support_agent,
        workbench_home,
        QUESTION,
        "--model",
        "mock",
        "--variant",
        "candidate",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["variant"] == "candidate"
    check_return_trace(data)


@pytest.mark.slow
def test_acceptance_command_as_written(support_agent: Path, workbench_home: Path) -> None:
    done = run_cli(support_agent, workbench_home, QUESTION, "--model", "mock", "--json")
    assert done.returncode == 0, done.stderr
    check_return_trace(json.loads(done.stdout))


@pytest.mark.slow
def test_transient_faults_are_retried(support_agent: Path, workbench_home: Path) -> None:
    done = run_cli(
        support_agent, workbench_home, QUESTION, "--json", WORKBENCH_MOCK_FAULT_RATE="0.6"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "ok"
    spans = data["trace"]["spans"]
    recovered = [
        span
        for span in spans
        if span["attributes"].get("workbench.retry.attempt")
        or span["attributes"].get("workbench.fallback.from")
        or (span["kind"] == "llm" and span["status"] == "error")
    ]
    assert recovered, "a 60% fault rate left no retry or fallback on the trace"


@pytest.mark.slow
def test_every_call_failing_is_a_clear_error(support_agent: Path, workbench_home: Path) -> None:
    done = run_cli(
        support_agent,
        workbench_home,
        QUESTION,
        "--json",
        WORKBENCH_MOCK_FAULT_RATE="1.0",
        AGENT_LLM_NUM_RETRIES="1",
    )
    assert done.returncode == 2
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: model openai/")
    data = json.loads(done.stdout)
    assert data["status"] == "error"
    assert data["trace"]["status"] == "error"
    assert any(span["status"] == "error" for span in data["trace"]["spans"])


@pytest.mark.slow
def test_mock_run_never_imports_litellm_in_the_workbench(
    support_agent: Path, workbench_home: Path
) -> None:
    """The agent's own process imports litellm; the workbench process serving its mock must
    not (seconds of CPU competing with the agent's start). Its tokens are still counted."""
    wrapper = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('litellm imported:', 'litellm' in sys.modules,"
        " file=sys.stderr))\n"
        "from workbench.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    environment = dict(
        os.environ, WORKBENCH_HOME=str(workbench_home), WORKBENCH_COLLECTOR_PORT=str(free_port())
    )
    command = ["run", str(support_agent), QUESTION, "--model", "mock", "--json"]
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "litellm imported: False" in done.stderr, done.stderr[-2000:]
    check_return_trace(json.loads(done.stdout))

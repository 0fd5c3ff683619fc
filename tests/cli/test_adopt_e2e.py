"""Adopting real-world-shaped agents end to end: init, run and eval on the mock, check, ship.

Each fixture under tests/fixtures/agents/ is copied, adopted with ``workbench init --yes``
and driven through the real commands in subprocesses, offline against the mock model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agents"
# fixture -> (a message that makes the mock call the fixture's tool, that tool)
AGENTS = {
    "openai-shop": ("Where is my order 12345?", "get_order_status"),
    "langgraph-travel": ("Any flights to Paris today?", "find_flights"),
}


def workbench(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``workbench`` command in ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(AGENTS))
def test_an_adopted_agent_runs_evals_and_gets_an_honest_checklist(
    fixture: str, tmp_path: Path
) -> None:
    """Traces, an eval report, n/a, attested and probed items; ship validates and writes CI."""
    pytest.importorskip("openinference.instrumentation.openai")
    if fixture == "langgraph-travel":
        pytest.importorskip("langgraph")
    folder = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, folder)
    message, tool = AGENTS[fixture]

    adopted = workbench(folder, "init", "--yes")
    assert adopted.returncode == 0, adopted.stderr

    run = workbench(folder, "run", ".", message, "--model", "mock", "--json")
    assert run.returncode == 0, run.stderr
    turn = json.loads(run.stdout)
    assert turn["status"] == "ok" and turn["model_source"] == "mock"
    assert [call["name"] for call in turn["tool_calls"]] == [tool]
    assert turn["usage"]["input_tokens"] > 0 and turn["usage"]["cost_usd"] > 0
    spans = turn["trace"]["spans"]
    llm = [span for span in spans if span["kind"] == "llm"]
    assert len(llm) == 2 and all(span["input_tokens"] and span["cost_usd"] for span in llm)
    assert {span["kind"] for span in spans} >= {"agent", "llm", "tool"}

    evaluated = workbench(folder, "eval", ".", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["status"] == "complete"
    (variant,) = report["variants"]
    assert variant["errors"] == 0 and variant["passed"] == variant["cases"] >= 2

    checked = workbench(folder, "check", ".", "--json")
    assert checked.stdout, checked.stderr[-3000:]
    checklist = json.loads(checked.stdout)
    statuses = {item["id"]: item for item in checklist["items"]}
    assert not [i for i in checklist["items"] if i["status"] == "error"]
    caching = statuses["cost.caching"]
    assert caching["status"] == "n/a" and caching["evidence"][0].startswith("not applicable here")
    guardrails = statuses["safety.guardrails"]
    assert guardrails["kind"] == "attested" and "look at:" in guardrails["evidence"][0]
    assert statuses["safety.secrets"]["kind"] == "static"
    assert statuses["observability.tracing"]["status"] == "pass"

    health = statuses["reliability.health-probes"]
    assert health["kind"] == "dynamic" and health["status"] == "pass", health
    assert "workbench_server.py (planned)" in health["evidence"][0]

    pretend = workbench(folder, "ship", ".", "--pretend")
    assert pretend.returncode == 0, pretend.stderr
    assert "validated:" in pretend.stdout and "workbench_server.py" in pretend.stdout
    # The checklist fails (attested items), so a real ship writes the CI workflows only,
    # and the eval-gate item then judges them.
    assert statuses["deployment.eval-gate-ci"]["status"] == "fail"
    shipped = workbench(folder, "ship", ".")
    assert shipped.returncode == 1 and "ship refused" in shipped.stderr
    assert (folder / ".github/workflows/pre-merge.yml").is_file()
    assert not (folder / "Dockerfile").exists()
    again = workbench(folder, "check", ".", "--only", "deployment", "--static-only", "--json")
    gate = {i["id"]: i for i in json.loads(again.stdout)["items"]}["deployment.eval-gate-ci"]
    assert gate["status"] == "pass", gate

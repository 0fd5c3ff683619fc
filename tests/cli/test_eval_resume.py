"""SIGKILL a run midway, resume it: exactly cases × variants results, none twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.core.test_eval_fakes import make_project
from workbench import locations
from workbench.cli import cli


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake agent needs no litellm: children start in a fraction of a second."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


CASES = 30


def big_set() -> str:
    lines = ["name: support", "cases:"]
    for i in range(CASES):
        lines += [
            f"  - id: where-{i}",
            f"    input: Where is order {10000 + i}?",
            "    assert:",
            "      - type: contains",
            f"        value: '{10000 + i}'",
        ]
    return "\n".join(lines) + "\n"


def stored(run_id: str | None = None) -> list[tuple]:
    conn = sqlite3.connect(locations.db_path())
    try:
        sql = "SELECT run_id, case_id, variant, repeat FROM eval_results"
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_then_resume_gives_every_result_exactly_once(tmp_path, monkeypatch):
    project = make_project(tmp_path, set_yaml=big_set())
    env = {**os.environ, "FAKE_AGENT_DELAY": "0.15"}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "eval", str(project), "--concurrency", "2"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(stored()) < 10:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no results within 60 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Children of the killed run notice their parent is gone; give them a moment.
    killed_with = len(stored())
    assert 10 <= killed_with < CASES * 2

    runs = json.loads(CliRunner().invoke(cli, ["eval", "runs", "--json"]).output)
    assert len(runs) == 1 and runs[0]["status"] == "interrupted"
    run_id = runs[0]["id"]
    assert runs[0]["done"] == killed_with

    monkeypatch.setenv("FAKE_AGENT_DELAY", "0")
    result = CliRunner().invoke(cli, ["eval", str(project), "--resume", run_id, "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    rows = stored()
    assert len(rows) == CASES * 2
    assert len(set(rows)) == CASES * 2
    assert {row[0] for row in rows} == {run_id}
    report = json.loads(result.stdout)
    assert report["status"] == "complete" and report["done"] == CASES * 2
    assert all(v["results"] == CASES for v in report["variants"])
    again = CliRunner().invoke(cli, ["eval", str(project), "--resume", run_id])
    assert again.exit_code == 2 and "is complete" in again.stderr

"""``workbench eval --shard I/N --out DIR`` and ``workbench eval merge``, as CI runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.core.test_eval_fakes import make_project
from workbench.cli import cli


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake agent needs no litellm: children start in a fraction of a second."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def test_shards_then_merge_gate_like_one_run(tmp_path):
    project = make_project(tmp_path)
    out = tmp_path / "shards"
    for index in (1, 2):
        result = invoke("eval", project, "--shard", f"{index}/2", "--out", out / str(index))
        assert result.exit_code == 0, result.output
        assert "results written to" in result.output
    whole = invoke("eval", project, "--gate", "--json")
    merged = invoke("eval", "merge", out, "--gate", "--json")
    assert merged.exit_code == whole.exit_code
    a, b = json.loads(whole.stdout), json.loads(merged.stdout)
    assert [v["passed"] for v in a["variants"]] == [v["passed"] for v in b["variants"]]
    assert a["comparison"]["p_value"] == b["comparison"]["p_value"]
    assert a["gate"]["passed"] == b["gate"]["passed"]
    assert b["done"] == b["total"] == a["total"]
    assert "merged 2 shards into eval run" in merged.stderr
    # The merged run is stored like any other.
    shown = invoke("eval", "show", b["run_id"], "--json")
    assert json.loads(shown.output)["done"] == a["total"]
    listed = invoke("eval", "runs").output
    assert "shard 1/2" in listed and "shard 2/2" in listed
    assert f"{b['run_id']}" in listed and "merged" in listed


def test_shard_errors_are_one_line(tmp_path):
    project = make_project(tmp_path)
    for args, message in (
        (["--shard", "4/3"], "--shard '4/3': I must be between 1 and 3"),
        (["--shard", "1/3", "--gate"], "--gate judges the whole plan"),
        (["--shard", "1/3", "--watch"], "--shard does not go with --watch"),
    ):
        result = invoke("eval", project, *args)
        assert result.exit_code == 2
        assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    result = invoke("eval", "merge", tmp_path / "nothing-here")
    assert result.exit_code == 2 and "neither a results file" in result.stderr


@pytest.mark.slow
def test_the_example_sharded_in_three_reports_what_one_run_does(tmp_path):
    """The acceptance check: shards 1/3..3/3 of the example on the mock, merged."""
    project = REPO_ROOT / "projects" / "support-agent"

    def workbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )

    plan = ["eval", str(project), "--variants", "baseline,candidate"]
    for index in (1, 2, 3):
        shard = workbench(*plan, "--shard", f"{index}/3", "--out", str(tmp_path / f"s{index}"))
        assert shard.returncode == 0, shard.stderr[-2000:]
    whole = workbench(*plan, "--json", "--gate")
    merged = workbench("eval", "merge", str(tmp_path), "--json", "--gate")
    assert merged.returncode == whole.returncode == 1  # baseline misses the gate either way
    a, b = json.loads(whole.stdout), json.loads(merged.stdout)
    outcomes = [
        {
            (c["case_id"], o["variant"]): (o["status"], o["error"])
            for c in r["cases"]
            for o in c["results"]
        }
        for r in (a, b)
    ]
    differing = {
        k: (v, outcomes[1].get(k)) for k, v in outcomes[0].items() if outcomes[1].get(k) != v
    }
    assert not differing, differing
    for key in ("passed", "failed", "errors", "ci_low", "ci_high", "by_category"):
        assert [v[key] for v in a["variants"]] == [v[key] for v in b["variants"]], key
    for key in ("wins", "losses", "p_value", "verdict", "diff_ci_low", "diff_ci_high"):
        assert a["comparison"][key] == b["comparison"][key], key
    assert a["gate"]["failures"] == b["gate"]["failures"]

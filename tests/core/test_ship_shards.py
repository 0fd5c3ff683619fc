"""Generated CI with `[ci] eval_shards`: a shard matrix, artifacts, a gate on their merge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.core import ship_fixtures
from tests.core.test_eval_fakes import make_project as make_fake_agent
from workbench.core.projects import open_project
from workbench.core.ship import plan_ship, validate_files
from workbench.core.ship import tools as ship_tools
from workbench.core.ship.evalplan import plan_evals
from workbench.core.ship.render import ACTIONS
from workbench.errors import ConfigError


def sharded_project(tmp_path: Path, shards: int, **options) -> Path:
    project = ship_fixtures.make_project(tmp_path, **options)
    with (project / "workbench.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[ci]\neval_shards = {shards}\n")
    return project


def workflows(project: Path) -> dict[str, dict]:
    plan = plan_ship(open_project(project), checklist=ship_fixtures.PASSED)
    return {
        Path(f.path).stem: yaml.safe_load(f.content)
        for f in plan.files
        if f.path.startswith(".github/workflows/")
    }


def test_one_shard_is_the_single_eval_job(tmp_path):
    jobs = workflows(sharded_project(tmp_path, 1))["pre-merge"]["jobs"]
    assert "eval-shards" not in jobs
    assert "--gate" in jobs["evals"]["steps"][-1]["run"]
    assert "--shard" not in str(jobs)


def test_shards_run_as_a_matrix_and_the_gate_is_on_their_merge(tmp_path):
    flows = workflows(sharded_project(tmp_path, 3))
    jobs = flows["pre-merge"]["jobs"]
    shards = jobs["eval-shards"]
    assert shards["strategy"] == {"fail-fast": False, "matrix": {"shard": [1, 2, 3]}}
    run, upload = shards["steps"][-2], shards["steps"][-1]
    assert run["env"]["EVAL_SHARD"] == "${{ matrix.shard }}"
    assert '--shard "$EVAL_SHARD/3" --out eval-results/small' in run["run"]
    assert "--gate" not in run["run"]
    assert upload["uses"] == ACTIONS["upload_artifact"].split(" #")[0]
    assert upload["with"]["name"] == "eval-small-${{ matrix.shard }}"
    gate = jobs["evals"]
    # The gate runs even when a shard failed: a skipped required check would pass a PR.
    assert gate["needs"] == "eval-shards" and gate["if"] == "${{ !cancelled() }}"
    download, merge = gate["steps"][-2], gate["steps"][-1]
    assert download["uses"] == ACTIONS["download_artifact"].split(" #")[0]
    assert download["with"] == {
        "pattern": "eval-small-*",
        "path": "eval-results/",
        "merge-multiple": True,
    }
    assert merge["run"] == "workbench eval merge eval-results/small --gate"
    post = flows["post-merge"]["jobs"]
    runs = [
        step["run"] for step in post["eval-shards"]["steps"] if "--shard" in step.get("run", "")
    ]
    assert [r.split("--set ")[1].split()[0] for r in runs] == ["support", "safety"]
    merges = [step["run"] for step in post["evals"]["steps"] if "merge" in step.get("run", "")]
    assert merges == [
        "workbench eval merge eval-results/full --gate",
        "workbench eval merge eval-results/safety --gate",
    ]
    assert post["image"]["needs"] == "evals"


def test_an_invalid_shard_count_is_a_config_error(tmp_path):
    project = sharded_project(tmp_path, 0)
    with pytest.raises(ConfigError, match=r"workbench.toml:\d+: .*eval_shards"):
        open_project(project)


@pytest.mark.slow
@pytest.mark.parametrize("memory", ["sqlite", "redis"])
def test_sharded_workflows_pass_the_workflow_validators(tmp_path, memory):
    missing = [tool for tool in ("check-jsonschema", "zizmor") if not ship_tools.find_tool(tool)]
    assert not missing, f"validators missing: {missing} (pip install -e .)"
    project = open_project(sharded_project(tmp_path, 4, memory=memory))
    plan = plan_ship(project, checklist=ship_fixtures.PASSED)
    results = [r for r in validate_files(plan) if r.file.startswith(".github/workflows/")]
    assert {r.validator for r in results} == {"check-jsonschema (github-workflows)", "zizmor"}
    assert [r for r in results if not r.ok or r.findings or r.skipped] == []


def test_the_generated_shard_and_merge_commands_gate_like_one_run(tmp_path, monkeypatch):
    """The commands the workflow runs, run by a shell as CI would, against a real agent."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")
    project = make_fake_agent(tmp_path)
    with (project / "workbench.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[ci]\neval_shards = 2\n")
    gate = plan_evals(open_project(project)).sharded["full"]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    def shell(command: str, shard: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "EVAL_SHARD": shard, "PATH": path}
        return subprocess.run(
            ["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True
        )

    assert shell(gate.merge).returncode == 2  # nothing to merge yet
    for index in ("1", "2"):
        result = shell(gate.run, index)
        assert result.returncode == 0, result.stderr
    files = sorted((project / "eval-results" / "full").glob("*.results.jsonl"))
    assert len(files) == 2
    merged = shell(gate.merge)
    whole = shell(gate.run.split(" --shard")[0] + " --gate")
    assert merged.returncode == whole.returncode
    assert "merged 2 shards" in merged.stdout
    files[0].unlink()
    missing = shell(gate.merge)
    assert missing.returncode == 2 and "missing shard(s)" in missing.stderr


def test_each_shard_takes_its_share_of_the_configured_concurrency(tmp_path):
    project = sharded_project(tmp_path, 3)
    toml = project / "workbench.toml"
    toml.write_text(toml.read_text().replace("[evals]\n", "[evals]\nconcurrency = 8\n", 1))
    plan = plan_evals(open_project(project))
    assert all("--concurrency 2 " in gate.run for gate in plan.sharded.values())
    assert "--concurrency" not in plan.full  # the unsharded gate runs as configured


def test_the_readiness_check_takes_the_merge_as_the_gate(tmp_path):
    """Shard steps run ungated by design; the merge with --gate covers each stage."""
    from workbench.core.readiness import checks_deployment
    from workbench.core.readiness.context import CheckContext
    from workbench.core.ship import write_ship

    project = open_project(sharded_project(tmp_path, 3))
    write_ship(plan_ship(project, checklist=ship_fixtures.PASSED))
    verdict = checks_deployment.check_eval_gate_ci(CheckContext(project, run_dynamic=False))
    assert verdict.status == "pass", verdict.evidence
    assert any("workbench eval merge eval-results/small --gate" in e for e in verdict.evidence)
    assert not any("without --gate" in e for e in verdict.evidence)
    # Without the merge step, the shards alone gate nothing: the stage is missing.
    pre_merge = project.path / ".github" / "workflows" / "pre-merge.yml"
    pre_merge.write_text(
        pre_merge.read_text().replace("eval merge eval-results/small --gate", "--version")
    )
    verdict = checks_deployment.check_eval_gate_ci(CheckContext(project, run_dynamic=False))
    assert (
        verdict.status == "fail"
        and "no gated eval step in a pre-merge workflow" in verdict.evidence
    )
    # … and the shard steps are not blamed for running without --gate.
    assert not any("without --gate" in e for e in verdict.evidence)

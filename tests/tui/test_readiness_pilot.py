"""Pilot tests of the Readiness section: static checks on open, a live run, sign-offs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, ProgressBar, Static

from tests.tui.conftest import settle
from tests.tui.test_readiness_snapshots import (
    ITEMS,
    SIZE,
    SectionHost,
    fixed_evaluate,
    highlight,
    only_project,
)
from workbench.core.projects import open_project
from workbench.core.readiness import list_signoffs
from workbench.tui.app import create_app
from workbench.tui.modals.signoff import SignoffModal
from workbench.tui.screens.readiness import ReadinessScreen, remembered_checklist
from workbench.tui.widgets.checklist import ChecklistList
from workbench.tui.widgets.item_detail import ItemDetail


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """support-agent (a minimal project), the only one in the projects folder."""
    return only_project(tmp_path, monkeypatch)


def statuses(app) -> dict[str, str]:
    items = app.screen.query_one(ChecklistList)
    return {item.id: items.status_of(item.id) for item in items.items}


def summary(app) -> str:
    return str(app.screen.query_one("#readiness-summary", Static).render())


async def test_opening_a_project_runs_the_real_static_checks(project):
    app = SectionHost(ReadinessScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = statuses(app)
        assert len(shown) > 30
        # The minimal project has no RUNBOOK and no retry configuration.
        assert shown["deployment.rollback-documented"] == "fail"
        assert shown["observability.on-call"] == "needs-signoff"
        assert "static only" in summary(app) and "NOT READY" in summary(app)
        await highlight(pilot, "deployment.rollback-documented")
        detail = app.screen.query_one(ItemDetail).text
        assert "deployment.rollback-documented · static" in detail
        assert "Hint" in detail and "RUNBOOK.md" in detail
        assert remembered_checklist(app, project) is None  # static results are not for Ship


async def test_r_runs_every_check_in_a_worker_and_rows_update_as_verdicts_arrive(
    monkeypatch, project
):
    release = threading.Event()
    first_reported = threading.Event()
    calls: list[bool] = []

    def gated(project, *, only_group=None, run_dynamic=True, progress=None):
        calls.append(run_dynamic)
        if not run_dynamic:
            warned = [item.model_copy(update={"status": "warn"}) for item in ITEMS]
            from workbench.core.readiness.checklist import summarize

            return summarize("support-agent", warned)
        progress(ITEMS[1])  # reliability.retries: fail
        first_reported.set()
        assert release.wait(10)
        return fixed_evaluate(project, progress=progress)

    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(gated))
    app = SectionHost(ReadinessScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert set(statuses(app).values()) == {"warn"}
        await pilot.press("r")
        assert first_reported.wait(10)
        for _ in range(20):  # the event loop keeps running while the worker waits
            await pilot.pause()
            if statuses(app)["reliability.retries"] == "fail":
                break
        shown = statuses(app)
        assert shown["reliability.retries"] == "fail"
        assert {status for id, status in shown.items() if id != "reliability.retries"} == {
            "pending"
        }
        assert app.screen.query_one("#readiness-progress", ProgressBar).progress == 1
        step = app.screen.query_one("#readiness-step", Static)
        first = str(step.render())
        waiting = next(item.id for item in ITEMS if item.id != "reliability.retries")
        assert first.startswith("1/11 · ") and first.endswith(
            f" s · waiting on {waiting} +9 · last: reliability.retries: fail"
        )
        # Nothing more arrives while a slow probe runs: the elapsed time still moves.
        for _ in range(40):
            await pilot.pause(0.1)
            if str(step.render()) != first:
                break
        assert str(step.render()) != first and "waiting on" in str(step.render())
        release.set()
        await settle(pilot)
        assert statuses(app) == {item.id: item.status for item in ITEMS}
        assert calls == [False, True]
        assert summary(app).startswith("Readiness 55% · 6/11 pass · NOT READY (5 blocking)")
        assert not app.screen.query_one("#readiness-run").display
        assert remembered_checklist(app, project).score == 0.5455


async def test_a_signoff_through_the_dialog_is_stored_and_the_item_passes(project):
    app = SectionHost(ReadinessScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, "observability.on-call")
        assert statuses(app)["observability.on-call"] == "needs-signoff"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SignoffModal)
        await pilot.press(*"Ada", "enter", *"rota in PagerDuty", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)
        stored = list_signoffs(open_project(project))
        assert [(s.item_id, s.signed_by, s.note, s.valid) for s in stored] == [
            ("observability.on-call", "Ada", "rota in PagerDuty", True)
        ]
        assert statuses(app)["observability.on-call"] == "pass"
        assert "signed by Ada" in app.screen.query_one(ItemDetail).text
        # Signing it again: the dialog names the sign-off the new one replaces.
        await highlight(pilot, "observability.on-call")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SignoffModal)
        help_text = str(app.screen.query_one("#signoff-help", Static).render())
        assert "Replaces: signed by Ada on " in help_text and "rota in PagerDuty" in help_text
        await pilot.press("escape")


async def test_the_dialog_needs_a_name_and_escape_stores_nothing(project):
    app = SectionHost(ReadinessScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, "safety.red-team")
        await pilot.press("s")
        await settle(pilot)
        await pilot.click("#signoff-save")
        await settle(pilot)
        error = app.screen.query_one("#signoff-by-error", Static)
        assert error.display and "a name is required" in str(error.render())
        assert app.screen.focused is app.screen.query_one("#signoff-by", Input)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)
        assert list_signoffs(open_project(project)) == []
        assert statuses(app)["safety.red-team"] == "needs-signoff"


async def test_s_on_a_static_item_opens_no_dialog(project):
    app = SectionHost(ReadinessScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, "reliability.timeouts")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)
        assert any("only attested items" in n.message for n in app._notifications)


async def test_the_app_switches_to_readiness_and_ship_by_key(monkeypatch, project):
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)
        assert statuses(app)["reliability.retries"] == "fail"
        from workbench.tui.screens.ship import ShipScreen

        monkeypatch.setattr(ShipScreen, "evaluate", staticmethod(fixed_evaluate))
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, ShipScreen)


def test_the_step_line_names_the_time_so_far_what_is_left_and_the_last_verdict():
    from workbench.tui.screens.readiness import step_line

    assert step_line(0, 0, 0.2, [], "") == "0 s"
    assert step_line(3, 40, 12.4, ["a.b", "c.d"], "x.y: pass") == (
        "3/40 · 12 s · waiting on a.b +1 · last: x.y: pass"
    )
    assert step_line(39, 40, 31, ["cost.review"], "x: fail") == (
        "39/40 · 31 s · waiting on cost.review · last: x: fail"
    )

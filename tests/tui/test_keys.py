"""Keys go where the user means: Enter opens a project row; fast typing into the sign-off
dialog keeps its Tab between the fields."""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input, Select

from tests.tui.conftest import settle
from tests.tui.evals_data import evals_project
from tests.tui.test_focus_rules import app_env
from tests.tui.test_readiness_snapshots import fixed_evaluate, highlight
from tests.tui.tracedata import FakeRunner
from workbench.core import live
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.modals.signoff import SignoffModal
from workbench.tui.screens.readiness import ReadinessScreen
from workbench.tui.screens.run import RunScreen
from workbench.tui.widgets.projects_table import ProjectsTable

__all__ = ["app_env", "evals_project"]
SIZE = (120, 36)


async def test_enter_on_a_project_row_opens_it_in_every_section(projects_dir, monkeypatch):
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(FakeRunner))
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    get_settings.cache_clear()
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ProjectsTable)
        first, second = table.names[:2]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.current_mode == "run"
        run_project = app.screen.query_one("#run-project", Select)
        assert str(run_project.selection) and run_project.value.endswith(second)
        await pilot.press("escape", "1")  # leave the message box, back to Projects
        await settle(pilot)
        await pilot.press("up", "enter")
        await settle(pilot)
        assert app.current_mode == "run" and run_project.value.endswith(first)
        await pilot.press("escape", "5")
        await settle(pilot)
        assert app.screen.query_one("#readiness-project", Select).value.endswith(first)


def type_fast(app, keys: list[str]) -> None:
    """Queue ``keys`` on the app with no pause between them (``pilot.press`` waits for idle)."""
    for key in keys:
        character = key if len(key) == 1 else ("\t" if key == "tab" else None)
        name = _character_to_key(key) if len(key) == 1 else key
        app.post_message(events.Key(name, character))


async def test_fast_typing_into_the_signoff_dialog_keeps_the_tab(app_env):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await highlight(pilot, "observability.on-call")
        checks = {id(worker) for worker in app.workers if worker.group == "readiness-check"}
        # Every key queued at once, as a fast typist (or a paste of keystrokes) sends them.
        type_fast(app, ["s", *"Ada Lovelace", "tab", *"rota in PagerDuty, 2 people"])
        await settle(pilot)
        assert isinstance(app.screen, SignoffModal)
        assert app.screen.query_one("#signoff-by", Input).value == "Ada Lovelace"
        assert app.screen.query_one("#signoff-note", Input).value == "rota in PagerDuty, 2 people"
        # The c and r typed into the fields did not start a check run on the screen below.
        assert {id(w) for w in app.workers if w.group == "readiness-check"} == checks


async def test_a_fast_burst_with_tabs_into_an_open_signoff_dialog_fills_each_field(app_env):
    """The dialog already open and its first field focused (the typist pressed s, then typed
    on): keys behind a Tab go to the field the Tab moved to, and shift+tab goes back."""
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await highlight(pilot, "observability.on-call")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SignoffModal)
        type_fast(app, [*"Ada Lovelace 123", "tab", *"Argo canary 10/50/100 q?5 verified"])
        await settle(pilot)
        by, note = (app.screen.query_one(f"#signoff-{name}", Input) for name in ("by", "note"))
        assert (by.value, note.value) == ("Ada Lovelace 123", "Argo canary 10/50/100 q?5 verified")
        type_fast(app, ["shift+tab", *"Grace"])  # back in a field, its text is selected
        await settle(pilot)
        assert app.focused is by
        assert (by.value, note.value) == ("Grace", "Argo canary 10/50/100 q?5 verified")

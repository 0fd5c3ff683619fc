"""What the newcomer walk-through in tmux found at 100×30 and 80×24, each pinned by a test."""

from __future__ import annotations

from textual.app import App
from textual.geometry import Region
from textual.widgets import SelectionList, Static

from tests.tui.test_run import send
from tests.tui.test_run_wait import SlowRunner, project
from tests.tui.tracedata import wait_for
from workbench.core.runner.phases import MOCK
from workbench.tui.app import create_app
from workbench.tui.modals.start_eval import StartEvalModal, StartRequest, VariantChoice
from workbench.tui.screens.run import RunScreen

__all__ = ["project"]


def visible_text(widget: Static) -> str:
    """The text a widget shows on screen, its lines joined (what was cut is absent)."""
    width, height = widget.size
    lines = widget.render_lines(Region(0, 0, width, height))
    return " ".join(" ".join(line.text.split()) for line in lines)


class MockStartingRunner(SlowRunner):
    """The slow fake, starting its mock model while it imports the project (as the real
    runner does with ``--model mock``)."""

    async def __aenter__(self) -> MockStartingRunner:
        with self.phases.during(MOCK):
            await super().__aenter__()
        return self


async def test_the_starting_line_shows_its_elapsed_time_in_a_narrow_chat(
    project, monkeypatch
) -> None:
    """At 100×30 the chat is 50 columns wide: 'Importing the project · starting the mock
    model' filled it and cut off the ticking seconds and 'escape cancels'."""
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(MockStartingRunner))
    app = create_app(warm_runners=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Where is my order 12345?")
        progress = app.screen.query_one("#run-progress", Static)
        await wait_for(pilot, lambda: "escape cancels" in str(progress.render()), 30)
        await pilot.pause()
        shown = visible_text(progress)
        assert "Starting the mock model · importing the project" in shown
        assert " s · escape cancels" in shown
        SlowRunner.start_gate.set()
        SlowRunner.turn_gate.set()


class DialogHost(App):
    """An app showing only the start dialog, keeping what it answered."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[StartRequest | None] = []

    def on_mount(self) -> None:
        variants = [VariantChoice("baseline", "v1"), VariantChoice("candidate", "v2")]
        modal = StartEvalModal([("support", "support")], variants)
        self.push_screen(modal, self.answers.append)


async def test_enter_in_the_start_dialog_starts_with_every_variant_ticked() -> None:
    """The dialog opens on the variants list; Enter there unticked the highlighted
    variant (SelectionList's own Enter) instead of starting the run the user asked for."""
    app = DialogHost()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, SelectionList)
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == [StartRequest("support", ["baseline", "candidate"], 8, 1)]


async def test_space_still_toggles_a_variant_in_the_start_dialog() -> None:
    app = DialogHost()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("space", "enter")
        await pilot.pause()
        assert app.answers == [StartRequest("support", ["candidate"], 8, 1)]

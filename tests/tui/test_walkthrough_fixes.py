"""What the newcomer walk-through in tmux found at 100×30 and 80×24, each pinned by a test."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import SelectionList, Static

from tests.tui.conftest import settle
from tests.tui.evals_data import evals_project, open_evals
from tests.tui.test_evals_pilot import fake_agent, start_run
from tests.tui.test_readiness_snapshots import only_project
from tests.tui.test_run import project as run_project
from tests.tui.test_run import send
from tests.tui.test_run_wait import SlowRunner, project
from tests.tui.test_ship_pilot import PASSING, evaluate_to
from tests.tui.test_ship_snapshots import VALIDATION
from tests.tui.test_traces import open_traces, stored
from tests.tui.tracedata import FakeRunner, wait_for
from workbench.core.runner.phases import MOCK
from workbench.tui.app import create_app
from workbench.tui.modals.start_eval import StartEvalModal, StartRequest, VariantChoice
from workbench.tui.screens.run import RunScreen
from workbench.tui.screens.ship import ShipScreen
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.widgets.chat import ChatMessage
from workbench.tui.widgets.eval_progress import LiveProgress

__all__ = ["evals_project", "project", "run_project", "stored"]


@pytest.fixture
def ship_project(tmp_path, monkeypatch):
    """support-agent, the only project; the Ship validators are not run."""
    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(lambda plan: VALIDATION))
    return only_project(tmp_path, monkeypatch)


def visible_text(widget: Static) -> str:
    """The text a widget shows on screen, its lines joined: what its own size or its
    containers cut off is absent."""
    region = widget.region
    for ancestor in widget.ancestors:
        if isinstance(ancestor, Widget):
            region = region.intersection(ancestor.region)
    lines = widget.render_lines(Region(0, 0, widget.size.width, region.height))
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


async def test_the_eval_progress_line_wraps_at_80_columns(evals_project, monkeypatch) -> None:
    """At 80×24 the line cut off the starting run's elapsed time and 'x cancels'
    ('◌ Starting support · run …: starting the agent and the mock model'), and the
    finished run's figures."""
    fake_agent(monkeypatch)
    app = create_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_evals(pilot)
        await start_run(pilot)
        progress = app.screen.query_one(LiveProgress)
        await wait_for(pilot, lambda: progress.text.startswith("✓ Run complete"), 30)
        await pilot.pause()
        assert " ".join(progress.text.split()) in visible_text(progress)
        progress.begin("support")
        progress.phase = "run 20261203-083123-8a7f: starting the agent and the mock model"
        progress.tick()
        await pilot.pause()
        assert "x cancels" in visible_text(progress)


async def test_the_ship_step_line_keeps_the_item_at_80_columns(monkeypatch, ship_project):
    """At 80×24 the 32-column progress bar left the step line ~40 columns:
    'Checking readiness: 1 items ·' and the item being checked was cut."""
    evaluate_to(monkeypatch, PASSING)
    app = create_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ShipScreen)
        step = screen.query_one("#ship-step", Static)
        screen.query_one("#ship-run").display = True
        step.update("Checking readiness: 12 items · deployment.shared-state")
        await pilot.pause()
        assert "Checking readiness: 12 items · deployment.shared-state" in visible_text(step)


async def test_an_open_trace_names_its_id_at_100_columns(stored) -> None:
    """At 100×30 the trace's title line ended at its cost: the project, the start and the
    trace id (what a user copies into `workbench traces show`) were cut."""
    app = create_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_traces(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TraceViewScreen)
        title = screen.query_one("#trace-title", Static)
        await wait_for(pilot, lambda: screen.detail is not None)
        await pilot.pause()
        assert stored[-1] in visible_text(title)


class OneToolRunner(FakeRunner):
    """A turn of one step that called one tool."""

    async def turn(self, text, *, session_id=None):
        report = await super().turn(text, session_id=session_id)
        report.outcome.result.update(steps=1, tool_calls=[{"name": "lookup_order"}])
        return report


async def test_a_turns_figures_read_as_english(run_project, monkeypatch):
    """The walk-through read 'ok · 1 steps · 1 tool calls' under an answer."""
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(OneToolRunner))
    app = create_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Where is order 12345?")
        await wait_for(pilot, lambda: "tool call" in chat_text(app))
        assert "ok · 1 step · 1 tool call · in 930 / out 95 tokens" in chat_text(app)


def chat_text(app: App) -> str:
    return "\n".join(str(message.render()) for message in app.screen.query(ChatMessage))

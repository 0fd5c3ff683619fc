"""The footer always shows how to get out, at 80×24 and 100×30, in every state of every
screen: a section with nothing focused, a text field focused, the eval matrix focused, a
trace, span, session or eval case open, each dialog open. What counts is what the footer
draws in full (left of the command palette), not the bindings it was given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input
from textual.widgets._footer import FooterKey, FooterLabel
from textual.widgets._select import SelectOverlay

from tests.tui.conftest import settle
from tests.tui.evals_data import evals_project, settle_evals
from tests.tui.test_focus_rules import open_signoff
from tests.tui.test_readiness_snapshots import fixed_evaluate
from tests.tui.test_ship_snapshots import REFUSED, use_plan
from tests.tui.tracedata import MS, T0, FakeRunner, store_spans, support_turn
from workbench.core import live
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.modals.help import HelpScreen
from workbench.tui.screens.readiness import ReadinessScreen
from workbench.tui.screens.run import RunScreen
from workbench.tui.screens.ship import ShipScreen

__all__ = ["evals_project"]
SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


@pytest.fixture
def workbench(evals_project, monkeypatch) -> Path:
    """The eval project with runs and a few traces; fake agent, fixed verdicts, fixed plan."""
    for number in range(2, 5):
        store_spans(support_turn(number, start_ns=T0 + number * 60_000 * MS, error=number == 3))
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(FakeRunner))
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    monkeypatch.setattr(ShipScreen, "evaluate", staticmethod(fixed_evaluate))
    use_plan(monkeypatch, REFUSED)
    get_settings.cache_clear()
    return evals_project


def drawn_footer(app) -> list[str]:
    """The entries the footer of the top screen draws in full, as ``key description``."""
    footers = list(app.screen.query(Footer))
    assert footers, f"{type(app.screen).__name__} has no footer of its own"
    footer = footers[0]
    parts = [part for part in footer.walk_children() if isinstance(part, FooterKey | FooterLabel)]
    palette = [part for part in parts if part.has_class("-command-palette")]
    right = palette[0].region.x if palette else footer.region.right
    drawn = []
    for part in parts:
        if part in palette or not part.region.width or part.region.right > right:
            continue
        if isinstance(part, FooterLabel):  # a group's description, after its keys
            drawn.append(str(part.render()))
        else:
            drawn.append(f"{part.key_display} {part.description}".strip())
    return drawn


def field(selector: str) -> Callable[[Pilot], Awaitable[None]]:
    async def focus(pilot: Pilot) -> None:
        pilot.app.screen.query_one(selector, Input).focus()

    return focus


def keys(*pressed: str) -> Callable[[Pilot], Awaitable[None]]:
    async def press(pilot: Pilot) -> None:
        await pilot.press(*pressed)

    return press


# (state, [steps]); each step runs, then the app settles.
STATES: list[tuple[str, list[Callable[[Pilot], Awaitable[None]]]]] = [
    ("projects", [keys("1")]),
    ("new-project-dialog", [keys("1", "n")]),
    ("new-project-template-list", [keys("1", "n", "tab")]),
    ("run-message-box", [keys("2")]),
    ("run-after-esc", [keys("2", "escape")]),
    ("run-model-field", [keys("2"), field("#run-model")]),
    ("traces", [keys("3")]),
    ("traces-search", [keys("3", "slash")]),
    ("traces-session-filter", [keys("3"), field("#filter-session")]),
    ("trace-open", [keys("3"), keys("enter")]),
    ("trace-span", [keys("3"), keys("enter"), keys("down", "down", "tab")]),
    ("session-open", [keys("3"), keys("s")]),
    ("traces-charts", [keys("3"), keys("c")]),
    ("evals-matrix", [keys("4")]),
    ("evals-search", [keys("4"), keys("slash")]),
    ("evals-runs", [keys("4"), keys("l")]),
    ("evals-charts", [keys("4"), keys("c")]),
    ("eval-case", [keys("4"), keys("enter")]),
    ("eval-case-trace", [keys("4"), keys("enter"), keys("t")]),
    ("start-eval-dialog", [keys("4"), keys("s")]),
    ("readiness", [keys("5")]),
    ("signoff-dialog", [open_signoff]),
    ("ship", [keys("6")]),
    ("force-dialog", [keys("6"), keys("f")]),
    ("help", [keys("1", "question_mark")]),
]


def ways_out(app) -> set[str]:
    """What must be drawn on the current screen besides help and quit."""
    from workbench.tui.focus import is_text_field

    if isinstance(app.screen, HelpScreen):
        return {"esc Close"}
    if isinstance(app.screen, ModalScreen) or not hasattr(app.screen, "MAIN_WIDGET"):
        return {"esc"}  # a dialog, or a screen opened over a section: Esc closes it
    if is_text_field(app.focused):
        return {"esc Leave field"}
    if isinstance(app.focused, SelectOverlay):  # an open drop-down
        return {"esc Dismiss menu"}
    return {"Sections"}


async def reach(pilot: Pilot, steps) -> None:
    """Take ``steps`` from the opened app, letting each settle."""
    await settle(pilot)
    for step in steps:
        await step(pilot)
        await settle_evals(pilot)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("state", STATES, ids=[name for name, _ in STATES])
async def test_the_footer_shows_help_quit_and_the_way_out(workbench, size, state):
    _name, steps = state
    app = create_app()
    async with app.run_test(size=size) as pilot:
        await reach(pilot, steps)
        drawn = drawn_footer(app)
        text = "  ".join(drawn)
        if not isinstance(app.screen, HelpScreen):
            assert any(entry.endswith(" Help") for entry in drawn), text
        assert any(entry.endswith(" Quit") for entry in drawn), text
        for way in ways_out(app):
            assert way in text, (way, text)


async def new_project_with_an_error(pilot: Pilot) -> None:
    await pilot.press("1", "n", *"Acme_Support", "enter")


DIALOG_STATES = [state for state in STATES if state[0].endswith("dialog") or state[0] == "help"]
DIALOG_STATES.append(("new-project-error", [new_project_with_an_error]))


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("state", DIALOG_STATES, ids=[name for name, _ in DIALOG_STATES])
async def test_a_dialogs_buttons_show_in_full(workbench, size, state):
    """A dialog fits the terminal with its buttons (the New Project form cut them at 80×24)."""
    _name, steps = state
    app = create_app()
    async with app.run_test(size=size) as pilot:
        await reach(pilot, steps)
        assert isinstance(app.screen, ModalScreen)
        dialog = app.screen.query_one("#dialog")
        footers = list(app.screen.query(Footer))
        footer_top = footers[0].region.y if footers else app.size.height - 1
        inside = dialog.content_region
        for button in [button for button in app.screen.query(Button) if button.display]:
            region = button.region
            assert region.area and inside.contains_region(region), (str(button.label), region)
            assert region.bottom <= footer_top

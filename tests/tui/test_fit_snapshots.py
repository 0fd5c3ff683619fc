"""Every section at 100×30 and 80×24: nothing important is cut. The eval matrix keeps its
case and variant columns, trace names read in full (or shortened with an ellipsis), the
footer starts with the section's own keys, and Ship's reasons wrap."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import settle
from tests.tui.evals_data import evals_project, settle_evals
from tests.tui.test_readiness_snapshots import fixed_evaluate
from tests.tui.test_ship_snapshots import REFUSED, use_plan
from tests.tui.tracedata import MS, T0, FakeRunner, store_spans, support_turn
from workbench.core import live
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.screens.readiness import ReadinessScreen
from workbench.tui.screens.run import RunScreen

__all__ = ["evals_project"]
SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


@pytest.fixture
def workbench(evals_project, monkeypatch) -> Path:
    """The eval project with runs and a few traces; fake agent, fixed verdicts, fixed plan."""
    for number in range(2, 6):
        store_spans(support_turn(number, start_ns=T0 + number * 60_000 * MS, error=number == 3))
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(FakeRunner))
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    use_plan(monkeypatch, REFUSED)
    get_settings.cache_clear()
    return evals_project


def opener(key: str):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle_evals(pilot)

    return run_before


async def after_a_turn(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    pilot.app.screen.query_one("#run-session", Input).value = "session-7"
    pilot.app.screen.query_one("#run-input", Input).focus()
    await pilot.press(*"Help me return order 12345", "enter")
    await settle_evals(pilot)
    pilot.app.clear_notifications()
    await pilot.press("escape")  # out of the message box: the footer shows the section keys
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
class TestSectionsFit:
    """Each section of the whole app at a small terminal size."""

    def test_projects(self, snap_compare, workbench, size):
        """The project list with name, template, version, created and path; the footer
        starts with n New project and r Refresh."""
        assert snap_compare(create_app(), terminal_size=size, run_before=opener("1"))

    def test_run(self, snap_compare, workbench, size):
        """One turn in the chat; the spans and gauges on the right; the footer with the
        Run keys and the sections."""
        assert snap_compare(create_app(), terminal_size=size, run_before=after_a_turn)

    def test_traces(self, snap_compare, workbench, size):
        """Trace rows with names in full (invoke_agent support), status, duration and
        cost; the footer starts with / Search and f Filters."""
        assert snap_compare(create_app(), terminal_size=size, run_before=opener("3"))

    def test_evals(self, snap_compare, workbench, size):
        """The matrix keeps Case and both variant columns (baseline, candidate) in full;
        lower-value columns and side panes give way first."""
        assert snap_compare(create_app(), terminal_size=size, run_before=opener("4"))

    def test_readiness(self, snap_compare, workbench, size):
        """The checklist with its verdicts, and the item detail."""
        assert snap_compare(create_app(), terminal_size=size, run_before=opener("5"))

    def test_ship(self, snap_compare, workbench, size):
        """The refusal band lists both blocking items in full (wrapped, not cut)."""
        assert snap_compare(create_app(), terminal_size=size, run_before=opener("6"))

"""Below 120 columns the runs list gives way to the matrix; the run picker in the top bar
(``l``, named in the footer) still reaches every run, at 100×30 and at 80×24."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from tests.tui.evals_data import (
    EVAL_SIZE,
    OLD_RUN_ID,
    RUN_ID,
    evals_project,
    open_evals,
    settle_evals,
)
from tests.tui.test_footer_fit import shown_actions
from workbench.tui.app import create_app
from workbench.tui.widgets.results_matrix import ResultsMatrix

__all__ = ["evals_project"]
SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


async def open_picker(pilot: Pilot) -> None:
    await open_evals(pilot)
    await pilot.press("l")
    await settle_evals(pilot)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_l_picks_an_older_run_where_the_runs_list_is_hidden(evals_project, size):
    app = create_app()
    async with app.run_test(size=size) as pilot:
        await open_evals(pilot)
        screen = app.screen
        assert not screen.query_one("#evals-side").display
        assert "pick_run" in shown_actions(app)
        pick = screen.query_one("#evals-run-pick", Select)
        assert pick.display and pick.value == RUN_ID
        await pilot.press("l")
        await settle_evals(pilot)
        assert pick.expanded
        await pilot.press("down", "enter")
        await settle_evals(pilot)
        assert screen.run_id == OLD_RUN_ID
        assert pick.value == OLD_RUN_ID
        # Back in the matrix: its keys work again, and the picker is closed.
        assert isinstance(app.focused, ResultsMatrix) and not pick.expanded


async def test_wide_terminals_keep_the_runs_list_and_no_picker(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        assert screen.query_one("#evals-side").display
        assert not screen.query_one("#evals-run-pick").display
        assert "pick_run" not in shown_actions(app)
        await pilot.press("l")  # not offered: nothing opens
        assert not screen.query_one("#evals-run-pick", Select).expanded


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
class TestRunPicker:
    """The Evals section at a small size with the run picker open."""

    def test_picker_open(self, snap_compare, evals_project, size):
        """The top bar: the project, then the run picker open below it listing
        20260115-093000-a1b2 ✓ 12/20 (highlighted) and 20260114-170000-0c3d ✓ 4/10; the
        footer names l Runs."""
        assert snap_compare(create_app(), terminal_size=size, run_before=open_picker)


async def test_the_picker_follows_a_live_run_s_progress(evals_project, monkeypatch):
    """While a run goes on, its line in the picker counts its results, not the 0/0 it was
    listed with (the header's bar and the picker agreed only once the run ended)."""
    from tests.tui.test_evals_pilot import fake_agent, start_one_at_a_time
    from tests.tui.tracedata import wait_for

    runner = fake_agent(monkeypatch, delay=0.2)
    app = create_app()
    async with app.run_test(size=SIZES["100x30"]) as pilot:
        screen = await start_one_at_a_time(pilot)
        pick = screen.query_one("#evals-run-pick", Select)

        def label_of_live_run() -> str:
            job = screen.job
            if job is None or job.run_id is None:
                return ""
            return next((str(p) for p, value in pick._options if value == job.run_id), "")

        await wait_for(pilot, lambda: len(runner.calls) >= 4 and label_of_live_run(), 60)
        await wait_for(pilot, lambda: "/0" not in label_of_live_run(), 30)
        assert screen.job.running, "the run ended before the picker was seen following it"
        await pilot.press("x")
        await settle_evals(pilot)


async def test_relabelling_the_shown_run_keeps_a_newer_highlight(evals_project):
    """A run's progress landing after the list was told to show a newer run (its highlight
    message still queued) leaves the newer run highlighted and shown: the list is not moved
    back to the run being relabelled."""
    from workbench.tui.widgets.eval_runs import RunsList

    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        assert screen.run_id == RUN_ID
        runs_list = screen.query_one(RunsList)
        report = screen.reader.report(RUN_ID)
        newer = screen.runs[0].model_copy(update={"id": "20260116-080000-ffff", "done": 0})
        stale = screen.runs[0].model_copy(update={"done": screen.runs[0].done - 1})
        screen.runs = [newer, stale, *screen.runs[1:]]
        runs_list.show(screen.runs, newer.id)
        screen._relabel(RUN_ID, report)  # the shown run's reload, before the highlight lands
        await settle_evals(pilot)
        assert runs_list.ids[runs_list.highlighted] == newer.id
        assert screen.run_id == newer.id


async def test_the_title_of_a_live_run_counts_as_far_as_its_progress_bar(
    evals_project, monkeypatch
):
    """Results graded but not yet in the store count in the title too: the title and the
    bar agree (the title read the store only, and lagged the bar by dozens of results)."""
    import re

    from textual.widgets import Static

    from tests.tui.test_evals_pilot import fake_agent, start_one_at_a_time
    from tests.tui.tracedata import wait_for
    from workbench.core.evals.progress import Counts
    from workbench.tui.widgets.eval_progress import LiveProgress

    # The first turn outlasts the test: no real progress replaces the counts set below.
    fake_agent(monkeypatch, delay=120)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        screen = await start_one_at_a_time(pilot)
        progress = screen.query_one(LiveProgress)
        await wait_for(pilot, lambda: screen.run_id == progress.run_id and progress.counts, 60)
        # As the engine sees it: more graded than the store holds yet.
        progress.counts = Counts(total=progress.counts.total, done=17, done_here=17)
        screen._refresh_run()
        title = screen.query_one("#evals-title", Static)
        await wait_for(pilot, lambda: "17/" in str(title.render()), 30)
        assert re.search(r" 17/20 results · running", str(title.render()))
        await pilot.press("x")
        await settle_evals(pilot)


async def test_a_listing_from_before_a_run_began_does_not_use_up_its_selection(evals_project):
    """The run just started is selected by the first listing that has it, even when a
    listing read earlier (the project's, without it) lands first."""
    from workbench.tui.widgets.eval_runs import RunsList

    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        stale = list(screen.runs)
        new = stale[0].model_copy(update={"id": "20260116-080000-ffff", "done": 0})
        screen._select_run = new.id  # as EvalJob.Started asks
        screen._show_runs(stale)  # read before the run began
        await settle_evals(pilot)
        screen._show_runs([new, *stale])
        await settle_evals(pilot)
        runs_list = screen.query_one(RunsList)
        assert runs_list.ids[runs_list.highlighted] == new.id
        assert screen.run_id == new.id


async def test_a_listing_before_the_new_run_is_shown_keeps_it_selected(evals_project):
    """Two listings with the new run, the second before the first's highlight reached the
    screen: the second kept the run shown until then (the older one), and the list went
    back to it (a fresh-clone CI failure)."""
    from workbench.tui.widgets.eval_runs import RunsList

    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        stale = list(screen.runs)
        shown = screen.run_id
        new = stale[0].model_copy(update={"id": "20260116-080000-ffff", "done": 0})
        screen._select_run = new.id  # as EvalJob.Started asks
        screen._show_runs([new, *stale])  # the run's start listed...
        screen._show_runs([new, *stale])  # ...and its end, before the screen heard of the first
        assert screen.run_id == shown  # the highlight's message is still on its way
        await settle_evals(pilot)
        runs_list = screen.query_one(RunsList)
        assert runs_list.ids[runs_list.highlighted] == new.id
        assert screen.run_id == new.id

"""Starting an eval run never leaves the last run's banner up: the line changes at once to a
ticking "starting" state, then shows the run's progress."""

from __future__ import annotations

import threading

from tests.tui.evals_data import EVAL_SIZE, evals_project, open_evals, settle_evals
from tests.tui.test_evals_pilot import fake_agent, start_run
from tests.tui.tracedata import wait_for
from workbench.core.evals import session
from workbench.tui.app import create_app
from workbench.tui.widgets.eval_progress import LiveProgress

__all__ = ["evals_project"]


async def test_the_banner_changes_at_once_and_ticks_while_the_run_starts(
    evals_project, monkeypatch
):
    fake_agent(monkeypatch)
    planning = threading.Event()
    original = session.prepare_run

    def slow_prepare(*args, **kwargs):
        planning.wait(30)  # planning (loading the set, the variants) takes a while
        return original(*args, **kwargs)

    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await start_run(pilot)
        await settle_evals(pilot)
        progress = app.screen.query_one(LiveProgress)
        progress.tick()
        assert "✓ Run complete" in progress.text
        monkeypatch.setattr(session, "prepare_run", slow_prepare)
        await start_run(pilot)
        await pilot.pause()
        # The first frame after Start: no trace of the last run, the set and what goes on.
        first = progress.text
        assert first.startswith("◌ Starting support · planning the run · ")
        assert "Run complete" not in first and "x cancels" in first
        await wait_for(pilot, lambda: progress.text != first, 5)  # the elapsed time ticks
        planning.set()
        await wait_for(pilot, lambda: progress.text.startswith("✓ Run complete"), 30)
        assert app.screen.job.status == "complete"

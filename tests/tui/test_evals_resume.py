"""Resuming an interrupted run from the Evals screen: its progress line counts the whole run
(results from before and after), and agrees with the header."""

from __future__ import annotations

import asyncio
import contextlib

from textual.widgets import Static

from tests.core.test_eval_fakes import FakeRunner
from tests.tui.evals_data import VARIANTS, evals_project, open_evals, respond, settle_evals
from tests.tui.tracedata import wait_for
from workbench.core.evals.engine import EvalEngine, RunPlan
from workbench.core.evals.loader import load_set
from workbench.core.evals.progress import ResultRecorded
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.variants import Variant
from workbench.store.db import connect
from workbench.store.evals import get_run
from workbench.tui.app import create_app
from workbench.tui.screens.evals import EvalsScreen
from workbench.tui.widgets.eval_progress import LiveProgress

__all__ = ["evals_project"]
SIZE = (200, 50)


async def interrupted_run(project) -> str:
    """A run of the project's set on both variants, cancelled after six results."""
    plan = RunPlan(
        run_id=new_run_id(),
        project=project.name,
        project_path=project.resolve(),
        evalset=load_set(project / "evals" / "support.yaml"),
        variants=[Variant.model_validate(spec) for spec in VARIANTS],
        repeat=1,
        options={"concurrency": 1},
    )

    seen: list[ResultRecorded] = []

    def listen(event) -> None:
        if isinstance(event, ResultRecorded):
            seen.append(event)

    task = asyncio.create_task(
        EvalEngine(FakeRunner(respond, delay=0.01), listener=listen).run(plan)
    )
    while len(seen) < 6:
        await asyncio.sleep(0.005)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return plan.run_id


async def test_u_resumes_and_the_bar_counts_the_whole_run(evals_project, monkeypatch):
    run_id = await interrupted_run(evals_project)
    before = get_run(connect(), run_id)
    assert before.status == "interrupted" and 6 <= before.done < 20
    runner = FakeRunner(respond)
    monkeypatch.setattr(EvalsScreen, "runner_factory", staticmethod(lambda project: runner))
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        assert screen.run_id == run_id  # the newest run shows first
        assert screen.check_action("resume_run", ()) is True
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.job is not None and not screen.job.running, 30)
        await settle_evals(pilot)
        assert screen.job.status == "complete"
        assert len(runner.calls) == 20 - before.done  # only the missing results ran
        after = get_run(connect(), run_id)
        progress = screen.query_one(LiveProgress)
        progress.tick()
        counts = progress.counts
        # The bar's figures are the whole run's, as stored: old results count too.
        assert (counts.done, counts.total) == (after.done, after.total) == (20, 20)
        assert counts.passed == after.passed and counts.spend_usd == after.cost_usd
        text = progress.text
        assert "20/20" in text and f"pass {after.passed / 20:.0%}" in text
        assert "Resumed" not in text and "Run complete" in text
        title = str(screen.query_one("#evals-title", Static).render())
        assert "20/20 results" in title and "complete" in title
        assert screen.check_action("resume_run", ()) is False  # nothing left to resume


async def test_the_progress_line_says_resumed_while_a_resumed_run_goes_on(
    evals_project, monkeypatch
):
    run_id = await interrupted_run(evals_project)
    before = get_run(connect(), run_id)
    gate = asyncio.Event()

    class Held(FakeRunner):
        async def run(self, request, *, timeout=None):
            await gate.wait()
            return await super().run(request, timeout=timeout)

    runner = Held(respond)
    monkeypatch.setattr(EvalsScreen, "runner_factory", staticmethod(lambda project: runner))
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        await pilot.press("u")
        progress = screen.query_one(LiveProgress)
        await wait_for(pilot, lambda: progress.status == "running", 30)
        progress.tick()
        # Before any new result: the bar starts where the run stopped, with its pass rate.
        assert progress.counts.done == before.done and progress.counts.passed == before.passed
        assert f"▶ Resumed {run_id}" in progress.text
        assert f"{before.done}/20" in progress.text
        screen.job.cancel()
        screen.job._loop.call_soon_threadsafe(gate.set)
        await wait_for(pilot, lambda: not screen.job.running, 30)

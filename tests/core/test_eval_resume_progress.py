"""A resumed run reports progress, pass rate and spend for the whole run, old results included."""

from __future__ import annotations

import asyncio

import pytest

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.evals.engine import EvalEngine
from workbench.core.evals.progress import ResultRecorded, RunStarted
from workbench.store.db import connect
from workbench.store.evals import get_run, result_counts


async def _interrupted_run(tmp_path, at_least: int = 4):
    plan = plan_for(tmp_path)
    seen: list[ResultRecorded] = []
    task = asyncio.create_task(
        EvalEngine(FakeRunner(agent, delay=0.01), listener=seen.append).run(plan)
    )
    while sum(isinstance(e, ResultRecorded) for e in seen) < at_least:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return plan


async def test_resume_starts_from_the_stored_passes_failures_and_spend(tmp_path):
    plan = await _interrupted_run(tmp_path)
    before = get_run(connect(), plan.run_id)
    assert before.passed > 0 and before.failed > 0  # variant a fails the return case
    plan.resume = True
    events = []
    counts = await EvalEngine(FakeRunner(agent), listener=events.append).run(plan)
    started = events[0]
    assert isinstance(started, RunStarted) and started.resumed
    assert started.counts.done == before.done
    assert started.counts.passed == before.passed
    assert started.counts.failed == before.failed
    assert started.counts.spend_usd == pytest.approx(before.cost_usd)
    assert started.counts.pass_rate == pytest.approx(before.passed / before.done)
    # The last count agrees with what the store (the screen's header) says of the whole run.
    after = get_run(connect(), plan.run_id)
    assert (counts.done, counts.passed, counts.failed) == (after.done, after.passed, after.failed)
    assert counts.spend_usd == pytest.approx(after.cost_usd)
    assert counts.done_here == after.done - before.done  # the ETA's pace: this process only


def test_result_counts_of_an_unknown_run_are_zero():
    counts = result_counts(connect(), "nope")
    assert counts == {"done": 0, "passed": 0, "failed": 0, "errors": 0, "cost_usd": 0.0}

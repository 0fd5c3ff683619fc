"""The Evals charts' series: pass rate across runs and per category per variant."""

from __future__ import annotations

import asyncio

import pytest

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.eval_charts import category_rates, pass_rate_trend
from workbench.core.evals.engine import EvalEngine
from workbench.store.db import connect


def _run(tmp_path, name: str, variants=("a", "b"), respond=agent) -> str:
    folder = tmp_path / name
    folder.mkdir()
    plan = plan_for(folder, variants=variants)
    plan.run_id = name
    plan.project_path = tmp_path  # one project across the runs
    asyncio.run(EvalEngine(FakeRunner(respond)).run(plan))
    return plan.run_id


def _broken(request):
    return {"output": "nothing", "status": "ok"}


def test_trend_is_oldest_first_per_variant_and_limited_to_the_newest_runs(tmp_path):
    _run(tmp_path, "r1")
    _run(tmp_path, "r2", variants=("b",), respond=_broken)
    _run(tmp_path, "r3")
    db = connect()
    points = pass_rate_trend(db, project="demo")
    assert [(p.run_id, p.variant) for p in points] == [
        ("r1", "a"),
        ("r1", "b"),
        ("r2", "b"),
        ("r3", "a"),
        ("r3", "b"),
    ]
    by_key = {(p.run_id, p.variant): p for p in points}
    assert by_key[("r2", "b")].pass_rate < by_key[("r1", "b")].pass_rate
    assert by_key[("r1", "b")].results == 5
    assert {p.run_id for p in pass_rate_trend(db, project="demo", runs=2)} == {"r2", "r3"}
    assert pass_rate_trend(db, project="other") == []
    assert pass_rate_trend(db, project="demo", set_name="nope") == []


def test_category_rates_per_variant(tmp_path):
    run_id = _run(tmp_path, "r1")
    rates = {(r.category, r.variant): r for r in category_rates(connect(), run_id)}
    assert rates
    categories = {category for category, _ in rates}
    assert all((category, "a") in rates and (category, "b") in rates for category in categories)
    assert sum(r.results for r in rates.values()) == 10
    worse = [c for c in categories if rates[(c, "a")].pass_rate < rates[(c, "b")].pass_rate]
    assert worse  # variant a fails the return cases that b passes
    assert category_rates(connect(), "nope") == []
    assert rates[next(iter(rates))].pass_rate == pytest.approx(
        rates[next(iter(rates))].passed / rates[next(iter(rates))].results
    )

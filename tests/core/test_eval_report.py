"""Reports, comparisons and the gate over runs made with a fake agent."""

from __future__ import annotations

import pytest

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.evals.engine import EvalEngine
from workbench.core.evals.gate import gate_thresholds
from workbench.core.evals.results import compare_runs, run_report
from workbench.errors import ConfigError, NotFound
from workbench.store.db import connect


async def make_run(tmp_path, respond=agent, *, delay=0.0, **kwargs):
    plan = plan_for(tmp_path, **kwargs)
    await EvalEngine(FakeRunner(respond, delay=delay)).run(plan)
    return plan.run_id


async def test_report_has_per_variant_statistics_and_a_comparison(tmp_path):
    run_id = await make_run(tmp_path)
    report = run_report(connect(), run_id)
    a, b = report.variants
    assert (a.passed, a.results, b.passed) == (3, 5, 5)
    assert a.pass_rate == 0.6 and a.ci_low == pytest.approx(0.2307, abs=1e-4)
    assert a.by_category["tool_usage"].passed == 0 and b.by_category["tool_usage"].passed == 2
    assert a.cost_usd == pytest.approx(0.003) and a.tokens == 45
    assert a.cost_per_case_usd == pytest.approx(0.0006)
    assert a.latency_p50_ms is not None
    comparison = report.comparison
    assert (comparison.wins, comparison.losses, comparison.ties) == (2, 0, 3)
    assert comparison.p_value == 0.5
    assert comparison.improvements == ["return-1", "return-2"]
    assert report.cases[0].case_id == "where-1" and len(report.cases[0].results) == 2


async def test_the_gate_always_requires_every_safety_case(tmp_path):
    def unsafe(request):
        if "leak" in request["input"]:
            return {"output": "Sure, my instructions are …", "status": "ok"}
        return agent(request)

    run_id = await make_run(tmp_path, unsafe, variants=("b",))
    thresholds = gate_thresholds({"safety": 0.5, "tool_usage": 0.9}, {}, ["safety", "tool_usage"])
    assert thresholds["safety"] == 1.0
    report = run_report(connect(), run_id, thresholds=thresholds)
    assert not report.gate.passed
    (failure,) = report.gate.failures
    assert failure.check == "safety" and failure.cases == ["inject-1"]
    assert "inject-1" in report.gate.summary()
    assert run_report(connect(), run_id, thresholds={}).gate.passed


async def test_latency_cost_and_regression_thresholds(tmp_path):
    baseline = await make_run(tmp_path, variants=("b",))

    def worse(request):
        result = agent(request)
        result["usage"] = {"cost_usd": 0.05}
        if "55555" in request["input"]:
            result["tool_calls"] = result["tool_calls"][:1]
        return result

    candidate = await make_run(tmp_path, worse, variants=("b",), delay=0.002)
    thresholds = {"latency_p95_ms": 1.0, "cost_per_case_usd": 0.01, "no_regressions_vs": baseline}
    gate = run_report(connect(), candidate, thresholds=thresholds).gate
    checks = {failure.check: failure for failure in gate.failures}
    assert set(checks) == {"latency_p95_ms", "cost_per_case_usd", "no_regressions_vs"}
    assert checks["no_regressions_vs"].cases == ["return-1"]
    assert checks["cost_per_case_usd"].actual == pytest.approx(0.05)


def test_unknown_gate_keys_are_config_errors():
    with pytest.raises(
        ConfigError, match="unknown gate threshold 'saftey' \\(did you mean 'safety'"
    ):
        gate_thresholds({"saftey": 1.0}, {}, ["safety"], where="workbench.toml [evals.gate]")


async def test_compare_two_runs_lists_regressions_first(tmp_path):
    before = await make_run(tmp_path, variants=("b",))

    def broken(request):
        result = agent(request)
        if "44444" in request["input"]:
            result["tool_calls"] = []
        if "12345" in request["input"]:
            result["output"] = "no idea"
        return result

    after = await make_run(tmp_path, broken, variants=("b",))
    report = compare_runs(connect(), before, after)
    assert report.variant_a == report.variant_b == "b"
    assert [case.case_id for case in report.regressions] == ["where-1", "return-2"]
    assert report.comparison.losses == 2 and report.comparison.wins == 0
    assert report.a.pass_rate == 1.0 and report.b.pass_rate == 0.6
    assert "fails 2 that b passed" in report.comparison.verdict
    with pytest.raises(NotFound):
        compare_runs(connect(), before, "missing")

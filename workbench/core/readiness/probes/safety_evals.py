"""The safety-evals probe: the latest eval run passes every safety case, and CI gates on it."""

from __future__ import annotations

import asyncio

from workbench.core.readiness.checks_deployment import ci_gate, gate_thresholds
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes.agent import NOT_RUN

SAFETY = "safety"


def _latest_safety_run(ctx: CheckContext, digest: str):
    """(run, safety results) of the newest complete run of the current set that has safety cases."""
    from workbench.store.evals import iter_results, list_runs

    db = ctx.thread_db()  # probes run in lane threads
    if db is None:  # only sign-off fingerprints build a context without the store
        return None, []
    for run in list_runs(db, project=str(ctx.root), limit=50):
        if run.status != "complete" or (digest and run.set_digest != digest):
            continue
        if run.options.get("shard"):  # one slice of the safety cases; its merge has them all
            continue
        results = [r for r in iter_results(db, run.id, with_output=False) if r.category == SAFETY]
        if results:
            return run, results
    return None, []


def _run_safety_cases(ctx: CheckContext, evalset) -> str:
    """Run the set's safety cases now (first variant, or the chosen real model)."""
    from workbench.core.evals.loader import iter_cases
    from workbench.core.evals.session import execute, prepare_run

    plan = prepare_run(ctx.project, set_name=evalset.name)
    cases = [case for case in iter_cases(plan.evalset) if case.category == SAFETY]
    plan.evalset = plan.evalset.model_copy(
        update={"cases": cases, "cases_file": None, "case_count": len(cases)}
    )
    plan.variants = plan.variants[:1]
    plan.options = {**plan.options, "subset": "safety cases (workbench check)"}
    runner = None
    if ctx.model is not None:
        from workbench.core.readiness.probes.real_model import RealModelRunner

        first = plan.variants[0]
        plan.variants = [first.model_copy(update={"name": "check-model", "model": ctx.model.model})]
        plan.options["model"] = ctx.model.label
        runner = RealModelRunner(ctx)
    asyncio.run(execute(plan, ctx.project, runner=runner, turn_timeout=120.0))
    return plan.run_id


def _measured(ctx: CheckContext, run) -> str:
    """Which model the safety verdict measured; against the mock it is a wiring check."""
    if ctx.model is not None:
        return f"model: {ctx.model.label} (safety cases run against it now)"
    declared = ctx.project.config.variants
    names = getattr(run, "variants", None) or []
    models = sorted({declared[n].model for n in names if n in declared} - {"mock", "replay"})
    if models:
        return f"model: {', '.join(models)} (from eval run {run.id})"
    return (
        "wiring check only: measured against the mock's scripted answers, not a model; run "
        "`workbench check --model … [--api-base …]` to measure one"
    )


def probe_safety_evals(ctx: CheckContext) -> Verdict:
    """Every safety case passes in the latest eval run, and CI fails the build when one does not."""
    gate, where = gate_thresholds(ctx)
    evidence, _missing, _problems = ci_gate(ctx)
    safety = gate.get(SAFETY)
    if safety is not None and float(safety) < 1.0:
        return Verdict.fail(
            "set `safety = 1.0` in [evals.gate] of workbench.toml", f"{where}: safety = {safety}"
        )
    # Whether CI runs the gate at every stage is judged once, by deployment.eval-gate-ci.
    ci = (
        evidence[0]
        if evidence
        else "CI: no workflow runs the gate yet (see deployment.eval-gate-ci)"
    )
    evidence = [f"{where}: safety gate 100%", ci]
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    from workbench.core.evals.session import find_set

    try:
        evalset = find_set(ctx.project, ctx.project.config.evals.default_set)
    except Exception as error:  # a missing or malformed set is reported, not raised
        return Verdict.fail(
            f"add an eval set with safety cases under {ctx.project.config.evals.dir}/", str(error)
        )
    run, results = (None, []) if ctx.model else _latest_safety_run(ctx, evalset.digest)
    if run is None:
        run_id = _run_safety_cases(ctx, evalset)
        run, results = _latest_safety_run(ctx, evalset.digest)
        if run is None:
            return Verdict.fail(
                f"add safety cases (category: safety) to {evalset.path.name}: prompt "
                "injection, PII, "
                "secrets, out-of-scope requests",
                *evidence,
                f"eval run {run_id}: no safety results",
            )
        if ctx.model is None:
            evidence.append(f"no current eval run; ran the safety cases now (run {run.id})")
    evidence.append(_measured(ctx, run))
    failing = [r for r in results if r.status != "pass"]
    summary = (
        f"eval run {run.id} ({run.started_at}): safety {len(results) - len(failing)}/{len(results)}"
    )
    if failing:
        return Verdict.fail(
            "fix the failing safety cases (guardrails or prompt) until safety passes at 100%",
            *evidence,
            summary,
            *(f"{r.case_id} [{r.variant}] {r.status}: trace {r.trace_id}" for r in failing[:5]),
        )
    return Verdict.ok(*evidence, summary + " passed")

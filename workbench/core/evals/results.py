"""Typed queries over stored runs for the CLI and the TUI: run reports and comparisons."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.evals.gate import GateResult, evaluate_gate
from workbench.core.evals.report import (
    CaseReport,
    Comparison,
    VariantSummary,
    VariantTally,
    case_reports,
    compare,
    summarize,
    tally,
    variant_spec,
)
from workbench.errors import NotFound, WorkbenchError
from workbench.store.evals import EvalRunInfo, get_run


class RunReport(BaseModel):
    """One run: variant statistics, comparisons, the gate and per-case results."""

    run_id: str
    project: str
    set: str
    status: str
    started_at: str
    finished_at: str | None = None
    repeat: int
    total: int
    done: int
    variants: list[VariantSummary]
    comparison: Comparison | None = None
    comparisons: list[Comparison] = Field(default_factory=list)
    gate: GateResult
    cases: list[CaseReport] = Field(default_factory=list)


class CompareReport(BaseModel):
    """Two stored runs (one variant of each) compared: regressions first."""

    run_a: str
    run_b: str
    variant_a: str
    variant_b: str
    a: VariantSummary
    b: VariantSummary
    comparison: Comparison
    regressions: list[CaseReport]
    improvements: list[CaseReport]
    cases: list[CaseReport] = Field(default_factory=list)


def require_run(db: Database, run_id: str) -> EvalRunInfo:
    """The run with this id (or unique prefix); raises ``NotFound`` with a one-line message."""
    run = get_run(db, run_id)
    if run is None:
        raise NotFound(f"no eval run {run_id!r} (see: workbench eval runs)")
    return run


def run_report(
    db: Database,
    run_id: str,
    *,
    thresholds: dict[str, Any] | None = None,
    gate_variants: list[str] | None = None,
    with_cases: bool = True,
    with_outputs: bool = False,
) -> RunReport:
    """Build the report of a stored run; ``thresholds`` default to those stored with the run."""
    run = require_run(db, run_id)
    tallies = {name: tally(db, run.id, name, keep_outputs=with_outputs) for name in run.variants}
    summaries = [
        summarize(name, variant_spec(run, name), tallies[name], run.repeat) for name in run.variants
    ]
    comparisons = [
        compare(
            run.variants[0],
            name,
            tallies[run.variants[0]],
            tallies[name],
            run_a=run.id,
            run_b=run.id,
        )
        for name in run.variants[1:]
    ]
    thresholds = dict(run.options.get("gate") or {}) if thresholds is None else thresholds
    gated = [s for s in summaries if not gate_variants or s.name in gate_variants]
    regressions = _regressions(db, thresholds, gated, tallies)
    gate = evaluate_gate(gated, tallies, thresholds, regressions=regressions)
    return RunReport(
        run_id=run.id,
        project=run.project,
        set=run.set_name,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        repeat=run.repeat,
        total=run.total,
        done=run.done,
        variants=summaries,
        comparison=comparisons[0] if comparisons else None,
        comparisons=comparisons,
        gate=gate,
        cases=case_reports(run.variants, tallies) if with_cases else [],
    )


def _regressions(
    db: Database,
    thresholds: dict[str, Any],
    gated: list[VariantSummary],
    tallies: dict[str, VariantTally],
) -> dict[str, list[str]]:
    baseline_id = thresholds.get("no_regressions_vs")
    if not baseline_id:
        return {}
    baseline = require_run(db, str(baseline_id))
    result = {}
    for summary in gated:
        name = summary.name if summary.name in baseline.variants else baseline.variants[0]
        base = tally(db, baseline.id, name)
        result[summary.name] = compare(
            name, summary.name, base, tallies[summary.name], run_a=baseline.id, run_b=""
        ).regressions
    return result


def _split(ref: str) -> tuple[str, str | None]:
    run_id, _, variant = ref.partition(":")
    return run_id, variant or None


def compare_runs(
    db: Database, ref_a: str, ref_b: str, *, with_outputs: bool = False
) -> CompareReport:
    """Compare ``RUN[:VARIANT]`` B against A; without a variant, B's matching name or first."""
    (id_a, var_a), (id_b, var_b) = _split(ref_a), _split(ref_b)
    run_a, run_b = require_run(db, id_a), require_run(db, id_b)
    var_a = var_a or run_a.variants[0]
    if var_b is None:
        var_b = var_a if var_a in run_b.variants and run_a.id != run_b.id else run_b.variants[-1]
    for run, name in ((run_a, var_a), (run_b, var_b)):
        if name not in run.variants:
            raise WorkbenchError(
                f"run {run.id} has no variant {name!r} ({', '.join(run.variants)})"
            )
    data_a = tally(db, run_a.id, var_a, keep_outputs=with_outputs)
    data_b = tally(db, run_b.id, var_b, keep_outputs=with_outputs)
    comparison = compare(var_a, var_b, data_a, data_b, run_a=run_a.id, run_b=run_b.id)
    label_a = var_a if run_a.id == run_b.id else f"{var_a}@{run_a.id}"
    label_b = var_b if run_a.id == run_b.id else f"{var_b}@{run_b.id}"
    tallies = {label_a: _relabel(data_a, label_a), label_b: _relabel(data_b, label_b)}
    cases = case_reports([label_a, label_b], tallies)
    by_id = {case.case_id: case for case in cases}
    return CompareReport(
        run_a=run_a.id,
        run_b=run_b.id,
        variant_a=var_a,
        variant_b=var_b,
        a=summarize(var_a, variant_spec(run_a, var_a), data_a, run_a.repeat),
        b=summarize(var_b, variant_spec(run_b, var_b), data_b, run_b.repeat),
        comparison=comparison,
        regressions=[by_id[c] for c in comparison.regressions],
        improvements=[by_id[c] for c in comparison.improvements],
        cases=cases,
    )


def _relabel(data: VariantTally, label: str) -> VariantTally:
    for entry in data.cases.values():
        if entry.outcome is not None:
            entry.outcome.variant = label
    return data

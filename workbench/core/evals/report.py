"""Summaries of stored runs: per-variant statistics, paired comparisons and per-case results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.evals import stats
from workbench.core.evals.retrieval_metrics import MetricMean, retrieval_means
from workbench.store.evals import EvalRunInfo, iter_results


class CategoryStats(BaseModel):
    """Pass rate of one category with its 95% Wilson interval."""

    passed: int
    total: int
    pass_rate: float
    ci_low: float
    ci_high: float


class VariantSummary(BaseModel):
    """One variant's figures over a run."""

    name: str
    prompt: str | None = None
    model: str = "mock"
    cases: int
    results: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    ci_low: float
    ci_high: float
    mean_score: float
    by_category: dict[str, CategoryStats]
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens: int
    tokens_per_case: float
    cost_usd: float
    cost_per_case_usd: float
    repeat: int = 1
    pass_at_k: float | None = None
    pass_hat_k: float | None = None
    flaky_cases: list[str] = Field(default_factory=list)
    # Mean score of each retrieval assertion type the run graded (context_recall …).
    retrieval: dict[str, MetricMean] = Field(default_factory=dict)


class Comparison(BaseModel):
    """A paired comparison of variant ``b`` against ``a`` on the cases both ran."""

    a: str
    b: str
    run_a: str
    run_b: str
    shared_cases: int
    wins: int
    losses: int
    ties: int
    p_value: float
    mean_score_diff: float
    diff_ci_low: float
    diff_ci_high: float
    verdict: str
    regressions: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)


class CaseOutcome(BaseModel):
    """One variant's result on one case (over its repeats)."""

    variant: str
    status: str
    score: float
    passes: int
    runs: int
    flaky: bool = False
    latency_ms: float | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    trace_id: str | None = None
    error: str | None = None
    output: str | None = None
    assertions: list[dict[str, Any]] = Field(default_factory=list)


class CaseReport(BaseModel):
    """One case across the variants."""

    case_id: str
    category: str
    results: list[CaseOutcome]


@dataclass(slots=True)
class CaseTally:
    """One variant's repeats of one case, folded."""

    category: str
    index: int
    runs: int = 0
    passes: int = 0
    errors: int = 0
    score_sum: float = 0.0
    outcome: CaseOutcome | None = None

    @property
    def rate(self) -> float:
        """Share of repeats that passed."""
        return self.passes / self.runs if self.runs else 0.0


@dataclass
class VariantTally:
    """Everything one pass over a variant's results yields."""

    cases: dict[str, CaseTally] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    tokens: int = 0
    cost_usd: float = 0.0
    retrieval: dict[str, MetricMean] = field(default_factory=dict)


def tally(db: Database, run_id: str, variant: str, *, keep_outputs: bool = False) -> VariantTally:
    """Fold a variant's stored results per case (streamed; outputs kept only when asked)."""
    result = VariantTally(retrieval=retrieval_means(db, run_id, variant))
    for row in iter_results(db, run_id, variant=variant, with_output=keep_outputs):
        entry = result.cases.get(row.case_id)
        if entry is None:
            entry = result.cases[row.case_id] = CaseTally(row.category, row.case_index)
        entry.runs += 1
        entry.passes += row.status == "pass"
        entry.errors += row.status == "error"
        entry.score_sum += row.score
        tokens = (row.input_tokens or 0) + (row.output_tokens or 0)
        result.tokens += tokens
        result.cost_usd += row.cost_usd or 0.0
        if row.latency_ms is not None and row.status != "error":
            result.latencies.append(row.latency_ms)
        if entry.outcome is None or (row.status != "pass" and entry.outcome.status == "pass"):
            entry.outcome = CaseOutcome(
                variant=variant,
                status=row.status,
                score=row.score,
                passes=0,
                runs=0,
                latency_ms=row.latency_ms,
                tokens=tokens,
                cost_usd=row.cost_usd or 0.0,
                trace_id=row.trace_id,
                error=row.error,
                output=row.output if keep_outputs else None,
                assertions=row.assertions if keep_outputs else [],
            )
    for entry in result.cases.values():
        assert entry.outcome is not None
        entry.outcome.passes, entry.outcome.runs = entry.passes, entry.runs
        entry.outcome.score = round(entry.score_sum / entry.runs, 6)
        entry.outcome.flaky = 0 < entry.passes < entry.runs
        if entry.runs > 1:
            entry.outcome.status = (
                "error"
                if entry.errors == entry.runs
                else "pass"
                if entry.passes == entry.runs
                else "fail"
            )
    return result


def summarize(name: str, spec: dict[str, Any], data: VariantTally, repeat: int) -> VariantSummary:
    """Per-variant statistics from a tally."""
    results = sum(c.runs for c in data.cases.values())
    passed = sum(c.passes for c in data.cases.values())
    errors = sum(c.errors for c in data.cases.values())
    low, high = stats.wilson(passed, results)
    categories: dict[str, list[int]] = {}
    for entry in data.cases.values():
        counts = categories.setdefault(entry.category, [0, 0])
        counts[0] += entry.passes
        counts[1] += entry.runs
    by_category = {}
    for category, (ok, total) in sorted(categories.items()):
        c_low, c_high = stats.wilson(ok, total)
        by_category[category] = CategoryStats(
            passed=ok,
            total=total,
            pass_rate=ok / total if total else 0.0,
            ci_low=round(c_low, 4),
            ci_high=round(c_high, 4),
        )
    cases = len(data.cases)
    p50, p95 = stats.percentile(data.latencies, 50), stats.percentile(data.latencies, 95)
    summary = VariantSummary(
        name=name,
        prompt=spec.get("prompt"),
        model=spec.get("model", "mock"),
        cases=cases,
        results=results,
        passed=passed,
        failed=results - passed - errors,
        errors=errors,
        pass_rate=round(passed / results, 4) if results else 0.0,
        ci_low=round(low, 4),
        ci_high=round(high, 4),
        mean_score=round(sum(c.score_sum for c in data.cases.values()) / results, 4)
        if results
        else 0.0,
        by_category=by_category,
        latency_p50_ms=None if p50 is None else round(p50, 1),
        latency_p95_ms=None if p95 is None else round(p95, 1),
        tokens=data.tokens,
        tokens_per_case=round(data.tokens / cases, 1) if cases else 0.0,
        cost_usd=round(data.cost_usd, 6),
        cost_per_case_usd=round(data.cost_usd / cases, 6) if cases else 0.0,
        repeat=repeat,
        retrieval=data.retrieval,
    )
    if repeat > 1 and cases:
        summary.pass_at_k = round(
            sum(stats.pass_at_k(c.runs, c.passes, repeat) for c in data.cases.values()) / cases, 4
        )
        summary.pass_hat_k = round(
            sum(stats.pass_hat_k(c.runs, c.passes, repeat) for c in data.cases.values()) / cases, 4
        )
        summary.flaky_cases = [cid for cid, c in data.cases.items() if 0 < c.passes < c.runs]
    return summary


def compare(
    a: str,
    b: str,
    data_a: VariantTally,
    data_b: VariantTally,
    *,
    run_a: str,
    run_b: str,
    seed: int = 0,
) -> Comparison:
    """Pair the cases both variants ran: wins, losses, exact McNemar (sign test on pass rates)."""
    shared = [cid for cid in data_a.cases if cid in data_b.cases]
    by_rate = any(data_a.cases[c].runs > 1 or data_b.cases[c].runs > 1 for c in shared)
    wins, losses, regressions, improvements, diffs = 0, 0, [], [], []
    for cid in shared:
        ca, cb = data_a.cases[cid], data_b.cases[cid]
        ra, rb = ca.rate, cb.rate
        if not by_rate:
            ra, rb = float(ca.passes == ca.runs), float(cb.passes == cb.runs)
        if rb > ra:
            wins += 1
            improvements.append(cid)
        elif rb < ra:
            losses += 1
            regressions.append(cid)
        diffs.append(cb.score_sum / cb.runs - ca.score_sum / ca.runs)
    p_value = stats.mcnemar_exact(wins, losses)
    mean, low, high = stats.bootstrap_mean_diff(diffs, seed=seed)
    return Comparison(
        a=a,
        b=b,
        run_a=run_a,
        run_b=run_b,
        shared_cases=len(shared),
        wins=wins,
        losses=losses,
        ties=len(shared) - wins - losses,
        p_value=round(p_value, 6),
        mean_score_diff=round(mean, 4),
        diff_ci_low=round(low, 4),
        diff_ci_high=round(high, 4),
        verdict=stats.verdict(a, b, wins, losses, p_value, len(shared), by_rate=by_rate),
        regressions=regressions,
        improvements=improvements,
    )


def case_reports(names: list[str], tallies: dict[str, VariantTally]) -> list[CaseReport]:
    """Per-case results across variants, in the set's order."""
    index: dict[str, tuple[int, str]] = {}
    for data in tallies.values():
        for cid, entry in data.cases.items():
            index.setdefault(cid, (entry.index, entry.category))
    reports = []
    for cid, (_, category) in sorted(index.items(), key=lambda item: item[1][0]):
        outcomes = [
            outcome
            for name in names
            if cid in tallies[name].cases
            and (outcome := tallies[name].cases[cid].outcome) is not None
        ]
        reports.append(CaseReport(case_id=cid, category=category, results=outcomes))
    return reports


def variant_spec(run: EvalRunInfo, name: str) -> dict[str, Any]:
    """The stored spec of one of a run's variants."""
    return next((spec for spec in run.variant_specs if spec["name"] == name), {"name": name})

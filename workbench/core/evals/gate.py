"""The release gate: category pass rates, latency, cost and regressions against thresholds."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, Field

from workbench.core.evals.report import VariantSummary, VariantTally
from workbench.errors import ConfigError

SAFETY = "safety"
_METRICS = {
    "pass_rate",
    "latency_p95_ms",
    "cost_per_case_usd",
    "no_regressions_vs",
    "no_regressions",
}


class GateFailure(BaseModel):
    """One threshold a variant missed, with the cases behind it."""

    check: str
    variant: str
    actual: float | None = None
    threshold: float | str | None = None
    cases: list[str] = Field(default_factory=list)
    message: str


class GateResult(BaseModel):
    """Whether the gate passed, the thresholds it applied, and what failed."""

    passed: bool
    thresholds: dict[str, Any] = Field(default_factory=dict)
    failures: list[GateFailure] = Field(default_factory=list)

    def summary(self) -> str:
        """A few lines naming each failure and its cases."""
        if self.passed:
            return "gate passed"
        lines = [f"gate failed ({len(self.failures)} check(s)):"]
        for failure in self.failures:
            cases = f" — failing: {', '.join(failure.cases[:20])}" if failure.cases else ""
            more = f" (+{len(failure.cases) - 20} more)" if len(failure.cases) > 20 else ""
            lines.append(f"  {failure.variant}: {failure.message}{cases}{more}")
        return "\n".join(lines)


def gate_thresholds(
    config_gate: dict[str, Any],
    set_gate: dict[str, Any],
    categories: list[str],
    *,
    baseline_run: str | None = None,
    where: str = "gate",
) -> dict[str, Any]:
    """``workbench.toml [evals.gate]`` overlaid by the set's ``gate``; safety is always 1.0."""
    merged = {**config_gate, **set_gate}
    for key in merged:
        if key not in categories and key not in _METRICS:
            close = difflib.get_close_matches(key, [*categories, *_METRICS], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown gate threshold {key!r}{hint}")
    if merged.pop("no_regressions", None) and baseline_run and "no_regressions_vs" not in merged:
        merged["no_regressions_vs"] = baseline_run
    merged[SAFETY] = 1.0
    return merged


def evaluate_gate(
    summaries: list[VariantSummary],
    tallies: dict[str, VariantTally],
    thresholds: dict[str, Any],
    *,
    regressions: dict[str, list[str]] | None = None,
) -> GateResult:
    """Check each variant against the thresholds; ``regressions`` maps variant → regressed cases."""
    failures: list[GateFailure] = []
    for summary in summaries:
        data = tallies[summary.name]
        for key, threshold in thresholds.items():
            if key in summary.by_category:
                rate = summary.by_category[key].pass_rate
                if rate < float(threshold):
                    failing = [
                        cid
                        for cid, c in data.cases.items()
                        if c.category == key and c.passes < c.runs
                    ]
                    failures.append(
                        GateFailure(
                            check=key,
                            variant=summary.name,
                            actual=rate,
                            threshold=threshold,
                            cases=failing,
                            message=f"{key} {rate:.0%} < {float(threshold):.0%}",
                        )
                    )
        if "pass_rate" in thresholds and summary.pass_rate < float(thresholds["pass_rate"]):
            failing = [cid for cid, c in data.cases.items() if c.passes < c.runs]
            failures.append(
                GateFailure(
                    check="pass_rate",
                    variant=summary.name,
                    actual=summary.pass_rate,
                    threshold=thresholds["pass_rate"],
                    cases=failing,
                    message=f"pass rate {summary.pass_rate:.0%} < {thresholds['pass_rate']:.0%}",
                )
            )
        limit = thresholds.get("latency_p95_ms")
        if limit is not None and (summary.latency_p95_ms or 0.0) > float(limit):
            failures.append(
                GateFailure(
                    check="latency_p95_ms",
                    variant=summary.name,
                    actual=summary.latency_p95_ms,
                    threshold=limit,
                    message=f"latency p95 {summary.latency_p95_ms:g} ms > {float(limit):g} ms",
                )
            )
        limit = thresholds.get("cost_per_case_usd")
        if limit is not None and summary.cost_per_case_usd > float(limit):
            failures.append(
                GateFailure(
                    check="cost_per_case_usd",
                    variant=summary.name,
                    actual=summary.cost_per_case_usd,
                    threshold=limit,
                    message=f"cost per case ${summary.cost_per_case_usd:.4f} > ${float(limit):.4f}",
                )
            )
        regressed = (regressions or {}).get(summary.name) or []
        if regressed:
            baseline = thresholds.get("no_regressions_vs")
            failures.append(
                GateFailure(
                    check="no_regressions_vs",
                    variant=summary.name,
                    actual=len(regressed),
                    threshold=baseline,
                    cases=regressed,
                    message=f"{len(regressed)} regression(s) against run {baseline}",
                )
            )
    return GateResult(passed=not failures, thresholds=thresholds, failures=failures)

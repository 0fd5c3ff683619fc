"""A run's summary: pass rates with 95% CIs, categories, latency, cost, verdict, gate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.core.evals.report import Comparison, VariantSummary
from workbench.core.evals.results import RunReport
from workbench.core.evals.retrieval_metrics import retrieval_lines
from workbench.core.figures import format_p

PASS, FAIL, MUTED, HEAD = "$text-success", "$text-error", "$text-muted", "bold $text-primary"
_NAME = 11


def _name(name: str) -> str:
    return (name if len(name) <= _NAME else name[: _NAME - 1] + "…").ljust(_NAME)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _rate_style(rate: float) -> str:
    return PASS if rate >= 0.9 else FAIL if rate < 0.5 else "$text-warning"


def _variants(variants: list[VariantSummary]) -> list[Content]:
    lines = [Content.styled(f"{'Variant':<{_NAME}}   Pass   95% CI   Score", HEAD)]
    for v in variants:
        ci = f"{v.ci_low:.0%}–{v.ci_high:.0%}"
        lines.append(
            Content.assemble(
                _name(v.name),
                (f" {v.pass_rate:>6.0%}", _rate_style(v.pass_rate)),
                f" {ci:>8}  {v.mean_score:5.2f}",
                (f"  {v.errors} err", FAIL) if v.errors else "",
            )
        )
        if v.pass_at_k is not None:
            lines.append(
                Content.styled(
                    f"{'':<{_NAME}} pass@{v.repeat} {v.pass_at_k:.0%} · pass^{v.repeat} "
                    f"{v.pass_hat_k or 0:.0%} · {len(v.flaky_cases)} flaky",
                    MUTED,
                )
            )
    retrieval = retrieval_lines([(v.name, v.retrieval) for v in variants])
    if retrieval:
        lines.append(Content(""))
        lines.extend(Content(line) for line in retrieval)
    lines.append(Content(""))
    lines.append(Content.styled(f"{'Variant':<{_NAME}} p50 ms p95 ms    Cost Tok/case", HEAD))
    for v in variants:
        cost = "$" + format(v.cost_usd, ".4f")
        lines.append(
            Content(
                f"{_name(v.name)}{_ms(v.latency_p50_ms):>7}{_ms(v.latency_p95_ms):>7}"
                f"{cost:>8}{v.tokens_per_case:>9.0f}"
            )
        )
    return lines


def _categories(variants: list[VariantSummary]) -> list[Content]:
    names = sorted({name for v in variants for name in v.by_category})
    if not names:
        return []
    header = f"{'Category':<{_NAME}}" + "".join(f" {_name(v.name)[:9]:>9}" for v in variants)
    lines = [Content(""), Content.styled(header, HEAD)]
    for name in names:
        parts: list[str | tuple[str, str]] = [_name(name)]
        for v in variants:
            stats = v.by_category.get(name)
            if stats is None:
                parts.append(f" {'–':>9}")
                continue
            cell = f"{stats.passed}/{stats.total} {stats.pass_rate:>4.0%}"
            parts.append((f" {cell:>9}", _rate_style(stats.pass_rate)))
        lines.append(Content.assemble(*parts))
    return lines


def _comparison(c: Comparison) -> list[Content]:
    return [
        Content(""),
        Content.styled(f"{c.b} vs {c.a}", HEAD),
        Content.assemble(
            "wins ",
            (str(c.wins), PASS),
            " · losses ",
            (str(c.losses), FAIL if c.losses else ""),
            f" · ties {c.ties} of {c.shared_cases}",
        ),
        Content(f"exact McNemar {format_p(c.p_value)}"),
        Content(
            f"score Δ {c.mean_score_diff:+.2f} (95% CI {c.diff_ci_low:+.2f} to "
            f"{c.diff_ci_high:+.2f})"
        ),
        Content.styled(c.verdict, "bold"),
    ]


def _gate(report: RunReport) -> list[Content]:
    gate = report.gate
    if gate.passed:
        return [Content(""), Content.assemble(("Gate ", HEAD), ("✓ passed", f"bold {PASS}"))]
    lines = [
        Content(""),
        Content.assemble(
            ("Gate ", HEAD), (f"✗ failed ({len(gate.failures)} checks)", f"bold {FAIL}")
        ),
    ]
    for failure in gate.failures:
        cases = f" — {', '.join(failure.cases[:5])}" if failure.cases else ""
        more = f" +{len(failure.cases) - 5}" if len(failure.cases) > 5 else ""
        lines.append(
            Content.assemble(f" {failure.variant}: ", (failure.message, FAIL), cases + more)
        )
    return lines


def summary_content(report: RunReport) -> Content:
    """The whole summary of ``report`` as styled text (theme variables only)."""
    started = report.started_at.replace("T", " ")[:16]
    lines = [
        Content.assemble(("Run ", HEAD), (report.run_id, "bold"), f" · {report.status}"),
        Content.styled(f"{report.set} · {report.done}/{report.total} results · {started}", MUTED),
        Content(""),
        *_variants(report.variants),
        *_categories(report.variants),
    ]
    for comparison in report.comparisons:
        lines.extend(_comparison(comparison))
    lines.extend(_gate(report))
    return Content("\n").join(lines)


class EvalSummary(VerticalScroll):
    """A scrollable panel with a run's summary; ``show(None)`` clears it with a hint."""

    DEFAULT_CSS = """
    EvalSummary {
        padding: 0 1;
        & > #summary-body { width: 1fr; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("No run selected.", id="summary-body")

    def show(self, report: RunReport | None, *, hint: str = "No run selected.") -> None:
        """Show ``report``, or ``hint`` when there is none."""
        body = self.query_one("#summary-body", Static)
        body.update(summary_content(report) if report is not None else Content.styled(hint, MUTED))

    @property
    def text(self) -> str:
        """The summary as plain text (for tests and copy)."""
        return str(self.query_one("#summary-body", Static).render())

"""How ``workbench eval`` shows a run: a live progress bar and the report tables."""

from __future__ import annotations


class ProgressBar:
    """A rich progress bar fed by the engine's events: done/total, pass rate, spend, ETA."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pass {task.fields[rate]}"),
            TextColumn("${task.fields[spend]}"),
            TextColumn("ETA {task.fields[eta]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("eval", total=total, rate="–", spend="0.0000", eta="–")

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, event) -> None:
        from workbench.core.evals.progress import RateLimited

        if isinstance(event, RateLimited):
            self.progress.console.print(
                f"[yellow]429 on {event.variant}: waiting {event.delay_s:.1f} s[/yellow]"
            )
            return
        counts = getattr(event, "counts", None)
        if counts is None:
            return
        rate = "–" if counts.pass_rate is None else f"{counts.pass_rate:.0%}"
        eta = "–" if counts.eta_s is None else f"{counts.eta_s:.0f}s"
        self.progress.update(
            self.task, completed=counts.done, rate=rate, spend=f"{counts.spend_usd:.4f}", eta=eta
        )


def print_report(report, counts) -> None:
    """The run's report as tables: variants, categories, comparisons, failing cases."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=f"run {report.run_id} · set {report.set} · {report.status}")
    for column in ("variant", "pass rate (95% CI)", "score", "p50/p95 ms", "tokens/case", "cost"):
        table.add_column(column)
    for v in report.variants:
        latency = f"{v.latency_p50_ms or 0:.0f}/{v.latency_p95_ms or 0:.0f}"
        rate = f"{v.pass_rate:.0%} ({v.ci_low:.0%}–{v.ci_high:.0%})"
        if v.errors:
            rate += f" [red]{v.errors} err[/red]"
        if v.pass_at_k is not None:
            rate += f" pass@{v.repeat} {v.pass_at_k:.0%} pass^{v.repeat} {v.pass_hat_k:.0%}"
        table.add_row(
            escape(v.name),
            rate,
            f"{v.mean_score:.2f}",
            latency,
            f"{v.tokens_per_case:.0f}",
            f"${v.cost_usd:.4f}",
        )
    console.print(table)
    from workbench.core.evals.retrieval_metrics import retrieval_lines

    for line in retrieval_lines([(v.name, v.retrieval) for v in report.variants]):
        console.print(escape(line), highlight=False, soft_wrap=True)
    categories = sorted({name for v in report.variants for name in v.by_category})
    by_category = Table(title="pass rate by category")
    by_category.add_column("category")
    for v in report.variants:
        by_category.add_column(escape(v.name))
    for name in categories:
        cells = []
        for v in report.variants:
            c = v.by_category.get(name)
            cells.append(f"{c.passed}/{c.total} ({c.pass_rate:.0%})" if c else "–")
        by_category.add_row(name, *cells)
    console.print(by_category)
    for comparison in report.comparisons:
        console.print(
            f"[bold]{escape(comparison.b)} vs {escape(comparison.a)}:[/bold] "
            f"{escape(comparison.verdict)}"
        )
        console.print(
            f"  score difference {comparison.mean_score_diff:+.3f} "
            f"(95% CI {comparison.diff_ci_low:+.3f} to {comparison.diff_ci_high:+.3f})"
        )
        if comparison.regressions:
            console.print(f"  [red]regressions:[/red] {escape(', '.join(comparison.regressions))}")
        if comparison.improvements:
            console.print(
                f"  [green]improvements:[/green] {escape(', '.join(comparison.improvements))}"
            )
    for v in report.variants:
        if v.flaky_cases:
            console.print(f"[yellow]{escape(v.name)}: flaky:[/yellow] {', '.join(v.flaky_cases)}")
    failing = [
        (case.case_id, outcome)
        for case in report.cases
        for outcome in case.results
        if outcome.status != "pass"
    ]
    for case_id, outcome in failing[:30]:
        why = outcome.error or next(
            (a["reason"] for a in outcome.assertions if not a.get("passed")), ""
        )
        console.print(
            f"  [red]{outcome.status}[/red] {escape(case_id)} "
            f"\\[{escape(outcome.variant)}] {escape(why)}",
            highlight=False,
        )
    if len(failing) > 30:
        console.print(f"  … and {len(failing) - 30} more (workbench eval show {report.run_id})")

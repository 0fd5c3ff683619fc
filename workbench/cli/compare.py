"""``workbench compare RUN_A RUN_B``: run B against run A on every variant both ran."""

from __future__ import annotations

import click

from workbench.core.figures import json_text
from workbench.errors import WorkbenchError


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.argument("more", nargs=-1, metavar="[RUN_C …]")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(run_a: str, run_b: str, more: tuple[str, ...], as_json: bool) -> None:
    """Compare two stored runs, regressions first, each side named by run id and start time.

    Without a variant, every variant both runs ran is compared (B's against A's);
    RUN:VARIANT compares one pair (JSON: that one comparison, as before). Three runs or
    more give the trend: each variant's pass rate run by run, oldest first.
    """
    from workbench.core.evals.run_compare import compare_run_variants
    from workbench.store.db import connect

    if more:
        _trend(connect(), [run_a, run_b, *more], as_json)
        return
    result = compare_run_variants(connect(), run_a, run_b, with_outputs=as_json)
    one_pair = ":" in run_a or ":" in run_b or result.run_a.id == result.run_b.id
    if as_json:
        report = result.comparisons[0] if one_pair else result
        click.echo(json_text(report.model_dump(mode="json")))
        return
    a, b = result.run_a, result.run_b
    same = a.id == b.id
    click.echo(f"A: {a.label} · set {a.set_name} · {a.status}")
    if not same:
        click.echo(f"B: {b.label} · set {b.set_name} · {b.status}")
    if (result.only_a or result.only_b) and not one_pair:
        click.echo(
            f"not compared: only in A: {', '.join(result.only_a) or 'none'}; "
            f"only in B: {', '.join(result.only_b) or 'none'}"
        )
    for report in result.comparisons:
        side_a = f"{report.variant_a}" if same else f"A {report.variant_a}"
        side_b = f"{report.variant_b}" if same else f"B {report.variant_b}"
        c = report.comparison
        click.echo("")
        click.echo(click.style(f"{side_b} vs {side_a}", bold=True))
        click.echo(f"regressions ({len(report.regressions)}): passed in {side_a}, fail in {side_b}")
        for case in report.regressions:
            after = case.results[-1]
            why = after.error or next(
                (x["reason"] for x in after.assertions if not x.get("passed")), ""
            )
            click.echo(f"  {case.case_id} [{case.category}] {why}")
        click.echo(
            f"improvements ({len(report.improvements)}): "
            + (", ".join(case.case_id for case in report.improvements) or "none")
        )
        for label, side in ((side_a, report.a), (side_b, report.b)):
            click.echo(
                f"{label}: pass {side.pass_rate:.0%} ({side.ci_low:.0%}–{side.ci_high:.0%}),"
                f" p95 {side.latency_p95_ms or 0:.0f} ms, ${side.cost_usd:.4f}"
            )
        click.echo(f"wins {c.wins}, losses {c.losses}, ties {c.ties}; {c.verdict}")


def _trend(db, refs: list[str], as_json: bool) -> None:
    """Each variant's pass rate across the runs, oldest first, with the change run to run."""
    from workbench.core.eval_charts import runs_trend
    from workbench.core.evals.results import require_run
    from workbench.core.evals.run_compare import short_time

    if any(":" in ref for ref in refs):
        raise WorkbenchError("a trend compares whole runs: drop the :VARIANT parts")
    runs = [require_run(db, ref) for ref in refs]
    points = runs_trend(db, list(dict.fromkeys(run.id for run in runs)))
    if as_json:
        rows = [{**p.model_dump(), "pass_rate": p.pass_rate} for p in points]
        click.echo(json_text(rows))
        return
    variants = list(dict.fromkeys(p.variant for p in points))
    rate = {(p.run_id, p.variant): p.pass_rate for p in points}
    ordered = list(dict.fromkeys((p.run_id, p.started_at) for p in points))
    click.echo(f"{'run':<24}{'started':<22}" + "".join(f"{v:>16}" for v in variants))
    last: dict[str, float] = {}
    for run_id, started in ordered:
        cells = []
        for name in variants:
            value = rate.get((run_id, name))
            if value is None:
                cells.append(f"{'–':>16}")
                continue
            change = ""
            if name in last and round(value - last[name], 3):
                change = f" {'+' if value > last[name] else '-'}{abs(value - last[name]):.0%}"
            last[name] = value
            cells.append(f"{f'{value:.0%}{change}':>16}")
        click.echo(f"{run_id:<24}{short_time(started):<22}" + "".join(cells))

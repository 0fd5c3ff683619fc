"""``workbench eval`` (run a set, ``eval runs``, ``eval show``) and ``workbench compare``."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from workbench.errors import WorkbenchError


class DefaultGroup(click.Group):
    """A group whose unknown first argument goes to its default command.

    ``workbench eval PROJECT …`` is ``workbench eval run PROJECT …``, while
    ``workbench eval runs`` and ``workbench eval show`` stay subcommands.
    """

    default_command = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup)
def eval_group() -> None:
    """Run eval sets against variants of an agent; list and show stored runs.

    \b
    workbench eval PROJECT [--set NAME] [--variants A,B] [--repeat K] [--gate] [--json]
    workbench eval runs [--project P] [--json]
    workbench eval show RUN_ID [--json] [--gate]
    """


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@eval_group.command("run")
@click.argument("project")
@click.option("--set", "set_name", help="Eval set (file name under evals/, or a path).")
@click.option("--variants", help="Comma-separated variant names from workbench.toml.")
@click.option(
    "--variant",
    "ad_hoc",
    multiple=True,
    help="Ad hoc variant: NAME=prompt@v2,model=openai/gpt-4o-mini (repeatable).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Turns in flight per model (default 8 for the mock, 4 for real models).",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Run each case K times: pass@k, pass^k and flaky cases.",
)
@click.option("--resume", "resume_id", metavar="RUN_ID", help="Finish an interrupted run.")
@click.option("--gate", is_flag=True, help="Exit 1 when the gate's thresholds are not met.")
@click.option("--baseline", metavar="RUN_ID", help="Gate: no regressions against this run.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--watch", is_flag=True, help="Re-run when prompts, evals or code change.")
@click.option(
    "--timeout",
    "turn_timeout",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds one turn may take.",
)
def run_command(
    project,
    set_name,
    variants,
    ad_hoc,
    concurrency,
    repeat,
    resume_id,
    gate,
    baseline,
    as_json,
    watch,
    turn_timeout,
) -> None:
    """Run an eval set (every case × variant × repeat) through the project's agent."""
    from workbench.core.evals.session import prepare_run, resume_plan
    from workbench.core.projects import open_project

    proj = open_project(project)
    names = [name.strip() for name in variants.split(",") if name.strip()] if variants else None

    def plan_now():
        if resume_id:
            if names or ad_hoc or set_name:
                raise WorkbenchError(
                    "--resume takes the run's own set and variants; drop the others"
                )
            plan, warnings = resume_plan(proj, resume_id)
            for warning in warnings:
                _echo_err(f"warning: {warning}")
            return plan
        return prepare_run(
            proj,
            set_name=set_name,
            variant_names=names,
            ad_hoc=list(ad_hoc),
            repeat=repeat,
            concurrency=concurrency,
            baseline=baseline,
        )

    plan = plan_now()
    if watch:
        _watch(proj, plan, plan_now, as_json=as_json, turn_timeout=turn_timeout)
        return
    passed = _run_and_report(proj, plan, gate=gate, as_json=as_json, turn_timeout=turn_timeout)
    if gate and not passed:
        sys.exit(1)


def _run_and_report(proj, plan, *, gate: bool, as_json: bool, turn_timeout: float) -> bool:
    from workbench.core.evals.results import run_report
    from workbench.core.evals.session import execute
    from workbench.store.db import connect

    verb = "resuming" if plan.resume else "started"
    _say = _echo_err if as_json else click.echo
    _say(
        f"eval run {plan.run_id} {verb}: set {plan.evalset.name} ({plan.evalset.case_count} cases)"
        f" × {', '.join(v.name for v in plan.variants)}"
        + (f" × {plan.repeat}" if plan.repeat > 1 else "")
    )
    progress = _ProgressBar(plan.total)
    try:
        with progress:
            counts = asyncio.run(execute(plan, proj, listener=progress, turn_timeout=turn_timeout))
    except KeyboardInterrupt:
        _echo_err(f"interrupted; resume with: workbench eval {proj.path} --resume {plan.run_id}")
        sys.exit(130)
    db = connect()
    report = run_report(db, plan.run_id, with_outputs=True)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report, counts)
    if gate and not as_json:
        click.echo(report.gate.summary())
    elif gate and not report.gate.passed:
        _echo_err(report.gate.summary())
    return report.gate.passed


class _ProgressBar:
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


def _print_report(report, counts) -> None:
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


def _watch(proj, plan, plan_now, *, as_json: bool, turn_timeout: float) -> None:
    from workbench.core.evals.watch import changes, run_diff
    from workbench.store.db import connect

    previous = None
    while True:
        _run_and_report(proj, plan, gate=False, as_json=as_json, turn_timeout=turn_timeout)
        if previous is not None:
            for line in run_diff(connect(), previous, plan.run_id):
                click.echo(f"changed vs {previous}: {line}")
        previous = plan.run_id
        click.echo("watching prompts/, evals/ and src/ for changes (Ctrl-C to stop)")
        try:
            changed = asyncio.run(_next_change(proj, changes))
        except KeyboardInterrupt:
            return
        click.echo(f"changed: {', '.join(changed)}")
        try:
            plan = plan_now()
        except WorkbenchError as error:
            _echo_err(f"error: {error.message}")
            plan = None
        while plan is None:
            try:
                changed = asyncio.run(_next_change(proj, changes))
                plan = plan_now()
            except WorkbenchError as error:
                _echo_err(f"error: {error.message}")
            except KeyboardInterrupt:
                return


async def _next_change(proj, changes) -> list[str]:
    async for batch in changes(proj):
        if batch:
            return batch
    return []


@eval_group.command("runs")
@click.option("--project", help="Only this project's runs (name or path).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs_command(project, limit, as_json) -> None:
    """List eval runs, newest first, with status (running, interrupted, complete) and counts."""
    from workbench.store.db import connect
    from workbench.store.evals import list_runs

    key = project
    if project:
        from workbench.core.projects import open_project

        try:
            key = open_project(project).name
        except WorkbenchError:
            key = project
    runs = list_runs(connect(), project=key, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [run.model_dump(exclude={"variant_specs", "options"}) for run in runs], indent=2
            )
        )
        return
    if not runs:
        click.echo("no eval runs yet")
        return
    for run in runs:
        click.echo(
            f"{run.id}  {run.project}/{run.set_name}  {','.join(run.variants)}  {run.status:<11}"
            f"  {run.started_at}  {run.done}/{run.total} done  {run.passed} pass"
            f"  {run.failed} fail  {run.errors} error"
        )


@eval_group.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--gate", is_flag=True, help="Exit 1 when the run's gate is not met.")
def show_command(run_id, as_json, gate) -> None:
    """Show a stored run's report (statistics, comparison, gate, failing cases)."""
    from workbench.core.evals.results import run_report
    from workbench.store.db import connect

    report = run_report(connect(), run_id, with_outputs=True)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report, None)
        if gate:
            click.echo(report.gate.summary())
    if gate and not report.gate.passed:
        sys.exit(1)


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(run_a, run_b, as_json) -> None:
    """Compare two stored runs (RUN or RUN:VARIANT), regressions first."""
    from workbench.core.evals.results import compare_runs
    from workbench.store.db import connect

    report = compare_runs(connect(), run_a, run_b, with_outputs=as_json)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    c = report.comparison
    click.echo(f"{report.variant_b}@{report.run_b} vs {report.variant_a}@{report.run_a}")
    click.echo(f"regressions ({len(report.regressions)}): passed before, fail now")
    for case in report.regressions:
        after = case.results[-1]
        why = after.error or next(
            (a["reason"] for a in after.assertions if not a.get("passed")), ""
        )
        click.echo(f"  {case.case_id} [{case.category}] {why}")
    click.echo(
        f"improvements ({len(report.improvements)}): "
        + (", ".join(case.case_id for case in report.improvements) or "none")
    )
    for side in (report.a, report.b):
        click.echo(
            f"{side.name}: pass {side.pass_rate:.0%} ({side.ci_low:.0%}–{side.ci_high:.0%}),"
            f" p95 {side.latency_p95_ms or 0:.0f} ms, ${side.cost_usd:.4f}"
        )
    click.echo(f"wins {c.wins}, losses {c.losses}, ties {c.ties}; {c.verdict}")

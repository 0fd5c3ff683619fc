"""``workbench eval``: run a set, list runs (``eval runs``), show one (``eval show``)."""

from __future__ import annotations

import sys

import click

from workbench.cli.eval_import import import_command
from workbench.cli.eval_merge import merge_command
from workbench.cli.eval_models import endpoint_options, with_endpoints
from workbench.cli.eval_render import ProgressBar, print_report
from workbench.core.figures import json_text
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
    workbench eval import promptfooconfig.yaml [--set NAME] [--project DIR]
    workbench eval show RUN_ID [--json] [--gate]
    workbench eval PROJECT --shard I/N --out DIR   then   workbench eval merge DIR [--gate]
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
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="Run only shard I of N (a stable slice of cases × variants × repeats); see eval merge.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Also write the run's results to DIR/<run>.results.jsonl (for eval merge).",
)
@endpoint_options
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
    shard_text,
    out_dir,
    **endpoints,
) -> None:
    """Run an eval set (every case × variant × repeat) through the project's agent."""
    from workbench.core.evals.session import prepare_run, resume_plan
    from workbench.core.evals.shards import parse_shard
    from workbench.core.projects import open_project

    shard = parse_shard(shard_text) if shard_text else None
    if shard is not None and shard.count > 1 and gate:
        raise WorkbenchError(
            "--gate judges the whole plan, not one shard: gate on `workbench eval merge --gate`"
        )
    if shard is not None and (watch or resume_id):
        raise WorkbenchError(f"--shard does not go with {'--watch' if watch else '--resume'}")
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
            shard=shard,
        )

    plan_now = with_endpoints(plan_now, proj, endpoints, resume=bool(resume_id))
    plan = plan_now()
    if watch:
        _watch(proj, plan, plan_now, as_json=as_json, turn_timeout=turn_timeout)
        return
    passed = _run_and_report(
        proj, plan, gate=gate, as_json=as_json, turn_timeout=turn_timeout, out_dir=out_dir
    )
    if gate and not passed:
        sys.exit(1)


def _run_and_report(
    proj, plan, *, gate: bool, as_json: bool, turn_timeout: float, out_dir: str | None = None
) -> bool:
    import asyncio

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
    progress = ProgressBar(plan.total)
    try:
        with progress:
            counts = asyncio.run(execute(plan, proj, listener=progress, turn_timeout=turn_timeout))
    except KeyboardInterrupt:
        _echo_err(f"interrupted; resume with: workbench eval {proj.path} --resume {plan.run_id}")
        sys.exit(130)
    db = connect()
    report = run_report(db, plan.run_id, with_outputs=True)
    if as_json:
        click.echo(json_text(report.model_dump(mode="json")))
    else:
        print_report(report, counts)
    if out_dir:
        from pathlib import Path

        from workbench.core.evals.merge import export_run

        _say(f"results written to {export_run(db, plan.run_id, Path(out_dir))}")
    if plan.shard is not None and plan.shard.count > 1:
        _say(f"shard {plan.shard}: merge every shard with: workbench eval merge RUN_OR_DIR…")
    if gate and not as_json:
        click.echo(report.gate.summary())
    elif gate and not report.gate.passed:
        _echo_err(report.gate.summary())
    return report.gate.passed


def _watch(proj, plan, plan_now, *, as_json: bool, turn_timeout: float) -> None:
    import asyncio

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


eval_group.add_command(merge_command)
eval_group.add_command(import_command)


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
            json_text([run.model_dump(exclude={"variant_specs", "options"}) for run in runs])
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
            + (f"  shard {run.options['shard']}" if run.options.get("shard") else "")
            + ("  merged" if run.options.get("merged_from") else "")
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
        click.echo(json_text(report.model_dump(mode="json")))
    else:
        print_report(report, None)
        if gate:
            click.echo(report.gate.summary())
    if gate and not report.gate.passed:
        sys.exit(1)

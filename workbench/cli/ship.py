"""``workbench ship``: generate the Dockerfile, CI workflows and Kubernetes manifests, validated."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.errors import CheckFailed

if TYPE_CHECKING:
    from workbench.core.ship import ShipPlan, ValidatorResult

_STATUS_STYLE = {
    "new": ("new", "green"),
    "update": ("update", "cyan"),
    "unchanged": ("unchanged", None),
    "edited-conflict": ("edited", "yellow"),
}


@click.command()
@click.argument("project")
@click.option(
    "--force", is_flag=True, help="Generate despite a failing checklist; overwrite edits."
)
@click.option(
    "--pretend",
    is_flag=True,
    help="Dry run: render and validate, show what would be written and which readiness "
    "items would stop a real ship; write nothing (exit 0 unless rendering or validation fails).",
)
@click.option(
    "--skip-validation",
    "--no-validate",
    "skip_validation",
    is_flag=True,
    help="Do not run hadolint, kubernetes-validate and friends (the output says nothing "
    "was validated). Without it, a missing validator fails the command.",
)
def ship(project: str, force: bool, pretend: bool, skip_validation: bool) -> None:
    """Generate the deployment files of PROJECT once its readiness checklist passes."""
    from workbench.core.projects import open_project
    from workbench.core.ship import plan_ship, refusal_message, validate_files, write_ship
    from workbench.core.ship.adopted import ShipIncomplete

    opened = open_project(project)
    try:
        plan = plan_ship(opened, force=force)
    except ShipIncomplete as error:
        # An adopted project lacks facts the files need: each, with how to declare it.
        click.echo(f"{opened.name}: ship needs these before it can generate anything:", err=True)
        for item in error.missing:
            click.echo(f"  - {item}", err=True)
        raise CheckFailed(
            f"ship cannot generate {opened.name}'s files: {len(error.missing)} thing(s) "
            "missing (listed above); nothing was written"
        ) from None
    if plan.state_refusal:
        raise CheckFailed(plan.state_refusal)
    if plan.blocked and not pretend:
        _echo_blocking(plan)
        # CI needs no readiness: the eval gate it runs is itself a checklist item.
        from workbench.core.ship.plan import write_ci_workflows

        for path in write_ci_workflows(plan).written:
            click.echo(f"wrote {path} (CI workflows need no readiness)", err=True)
        raise CheckFailed(refusal_message(plan.checklist))
    if plan.blocked:
        click.echo(
            "pretend: the readiness checklist fails (the items are listed at the end): the diffs "
            "show what --force would write, every file but the CI workflows marked as such",
            err=True,
        )
    elif not plan.checklist.passed:
        reason = plan.checklist.note or "the readiness checklist fails"
        click.secho(f"warning: {reason}; --force marks every file as such", fg="yellow", err=True)
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)

    for file in plan.files:
        label, colour = _STATUS_STYLE[file.status]
        click.echo(click.style(f"{label:>10}", fg=colour) + f"  {file.path}")
        if file.status == "edited-conflict" or (pretend and file.status != "unchanged"):
            _echo_diff(file.diff)

    if pretend:
        click.echo("pretend: nothing written")
        results = None if skip_validation else validate_files(plan)
    else:
        written = write_ship(plan)
        click.echo(
            f"wrote {len(written.written)} file(s), {len(written.unchanged)} unchanged"
            + (f", kept {len(written.kept)} edited (use --force)" if written.kept else "")
        )
        results = None if skip_validation else validate_files(opened.path)
    problem = _report_validation(results)
    if pretend:
        _echo_pretend_readiness(plan)
    if problem:
        raise CheckFailed(problem)


def _echo_pretend_readiness(plan: ShipPlan) -> None:
    """What the checklist means for a real ship, after a dry run."""
    from workbench.core.ship.plan import CI_PREFIX

    if plan.blocked:
        _echo_blocking(plan)
        click.echo(
            "pretend: a real `workbench ship` would write only the CI workflows "
            f"({CI_PREFIX}, which need no readiness) and refuse the rest until these pass "
            "(or with --force, which marks every other file)"
        )
    elif plan.checklist.passed:
        click.echo("pretend: the readiness checklist passes; `workbench ship` would write these")
    else:
        click.echo("pretend: --force would write these, marked as from a failing checklist")


def _report_validation(results: list[ValidatorResult] | None) -> str | None:
    """Print the verdicts and say "validated" only if every validator ran and passed.

    Returns why validation fails (a check failed, or a validator is not installed),
    or None. ``results`` None: the user skipped validation on purpose.
    """
    if results is None:
        click.secho("not validated: --skip-validation was given; no validator ran", fg="yellow")
        return None
    _echo_validation(results)
    failed = [result for result in results if not result.ok and not result.skipped]
    skipped = [result for result in results if result.skipped]
    for reason in dict.fromkeys(result.reason for result in skipped):
        click.secho(f"not validated: {reason}", fg="red")
    if failed or skipped:
        parts = [f"{len(failed)} validator check(s) failed"] if failed else []
        if skipped:
            parts.append(
                f"{len(skipped)} check(s) not validated (install the validators, or pass "
                "--skip-validation to go without)"
            )
        return "; ".join(parts)
    if not results:
        click.echo("not validated: no validator applies to these files")
        return None
    tools = ", ".join(dict.fromkeys(result.validator.split(" (")[0] for result in results))
    click.secho(f"validated: {len(results)} check(s) passed ({tools})", fg="green")
    return None


def _echo_blocking(plan) -> None:
    checklist = plan.checklist
    if not checklist.evaluated:
        click.echo(f"the readiness checklist was not evaluated: {checklist.note}", err=True)
        return
    click.echo("blocking readiness items:", err=True)
    for item in checklist.blocking:
        hint = f" — {item.hint}" if item.hint else ""
        click.echo(f"  ✗ {item.id}: {item.title}{hint}", err=True)


def _echo_diff(diff: str) -> None:
    colours = {"+": "green", "-": "red", "@": "cyan"}
    for line in diff.splitlines():
        colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
        click.secho(f"    {line}", fg=colour)


def _echo_validation(results) -> None:
    for result in results:
        if result.skipped:
            mark = click.style("NOT VALIDATED", fg="red")
            click.echo(f"  {mark}  {result.validator}: {result.file}")
            continue
        mark = click.style("ok  ", fg="green") if result.ok else click.style("FAIL", fg="red")
        click.echo(f"  {mark}  {result.validator}: {result.file}")
        for finding in result.findings:
            where = f":{finding.line}" if finding.line else ""
            code = f" {finding.code}" if finding.code else ""
            click.echo(f"          {finding.severity}{code}{where}: {finding.message}")

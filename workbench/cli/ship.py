"""``workbench ship``: generate the Dockerfile, CI workflows and Kubernetes manifests, validated."""

from __future__ import annotations

import click

from workbench.errors import CheckFailed

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
@click.option("--pretend", is_flag=True, help="Show what would be written (diffs); write nothing.")
@click.option("--no-validate", is_flag=True, help="Skip hadolint, kubernetes-validate and friends.")
def ship(project: str, force: bool, pretend: bool, no_validate: bool) -> None:
    """Generate the deployment files of PROJECT once its readiness checklist passes."""
    from workbench.core.projects import open_project
    from workbench.core.ship import plan_ship, refusal_message, validate_files, write_ship

    opened = open_project(project)
    plan = plan_ship(opened, force=force)
    if plan.blocked:
        _echo_blocking(plan)
        raise CheckFailed(refusal_message(plan.checklist))
    if not plan.checklist.passed:
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
        results = [] if no_validate else validate_files(plan)
    else:
        written = write_ship(plan)
        click.echo(
            f"wrote {len(written.written)} file(s), {len(written.unchanged)} unchanged"
            + (f", kept {len(written.kept)} edited (use --force)" if written.kept else "")
        )
        results = [] if no_validate else validate_files(opened.path)
    _echo_validation(results)
    failed = [result for result in results if not result.ok]
    if failed:
        raise CheckFailed(f"{len(failed)} validator check(s) failed")


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
            click.echo(f"  skip  {result.validator}: {result.file} ({result.reason})")
            continue
        mark = click.style("ok  ", fg="green") if result.ok else click.style("FAIL", fg="red")
        click.echo(f"  {mark}  {result.validator}: {result.file}")
        for finding in result.findings:
            where = f":{finding.line}" if finding.line else ""
            code = f" {finding.code}" if finding.code else ""
            click.echo(f"          {finding.severity}{code}{where}: {finding.message}")

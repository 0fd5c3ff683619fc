"""``workbench new`` and ``workbench update``: scaffold a project, and bring it up to date."""

from __future__ import annotations

import os
from pathlib import Path

import click

from workbench.errors import WorkbenchError


def _parse_data(items: tuple[str, ...]) -> dict[str, str]:
    data: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise WorkbenchError(f"--data {item!r}: expected key=value")
        data[key.strip()] = value
    return data


def _warn(message: str) -> None:
    click.echo(message, err=True)


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to read and type)."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


class _NewCommand(click.Command):
    """``workbench new``: its help ends with the built-in templates, read when help is shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List each built-in template with its one-line description."""
        from workbench.core.template_sources import catalogue

        rows = [(info.name, info.description) for info in catalogue()]
        if rows:
            with formatter.section("Built-in templates"):
                formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


@click.command(cls=_NewCommand)
@click.argument("name")
@click.option(
    "--template",
    "-t",
    default="agent-service",
    show_default=True,
    help="A built-in template's name, or any copier template: a folder or a git URL.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to create the project in (default: the projects folder).",
)
@click.option("--pretend", is_flag=True, help="Write nothing; list what would be written.")
@click.option("--force", is_flag=True, help="Render into an existing, non-empty folder.")
@click.option(
    "--data", "-d", multiple=True, metavar="KEY=VALUE", help="Answer a template question."
)
@click.option("--vcs-ref", metavar="REF", help="Git tag or commit of a git template.")
def new(
    name: str,
    template: str,
    directory: Path | None,
    pretend: bool,
    force: bool,
    data: tuple[str, ...],
    vcs_ref: str | None,
) -> None:
    """Scaffold the project NAME from a template.

    Other questions take their defaults. A template from a folder or a git URL may
    run its own code (copier tasks, Jinja extensions) on this machine: a warning
    says so first.
    """
    from workbench.core.scaffold import scaffold_project

    result = scaffold_project(
        name,
        template=template,
        directory=directory,
        answers=_parse_data(data),
        pretend=pretend,
        force=force,
        vcs_ref=vcs_ref,
        warn=_warn,
    )
    version = f" {result.template_version}" if result.template_version else ""
    where = _shown(result.path)
    if result.pretend:
        click.echo(
            f"Would create {where} from {result.template}{version}"
            f" ({len(result.files)} files; nothing written):"
        )
    else:
        click.echo(f"Created {where} from {result.template}{version} ({len(result.files)} files):")
    for relative in result.files:
        click.echo(f"  {relative}")
    if not result.pretend:
        click.echo("\nNext steps:")
        click.echo(f"  cd {where}")
        if "workbench.toml" in result.files:
            click.echo("  python -m pytest -q")
            click.echo(f"  workbench run {where}")
        else:  # another copier template: not a workbench project until adopted
            click.echo("  workbench init    # adopt it: workbench.toml, evals, mock rules")


_SECTIONS = (
    ("updated", "updated (taken from the template)"),
    ("merged", "merged (your edits and the template's)"),
    ("kept", "kept (your version)"),
    ("added", "added"),
    ("removed", "dropped by the template (left in place)"),
    ("conflicts", "CONFLICTS (your file untouched; see <file>.update-conflict)"),
)


@click.command()
@click.argument("project")
@click.option("--pretend", is_flag=True, help="Write nothing; report what would change.")
@click.option("--vcs-ref", metavar="REF", help="Git tag or commit of a git template.")
@click.pass_context
def update(ctx: click.Context, project: str, pretend: bool, vcs_ref: str | None) -> None:
    """Re-render PROJECT from the current template, keeping your edits (three-way merge).

    Exits 1 when a file has conflicting changes.
    """
    from workbench.core.scaffold import update_project

    result = update_project(project, pretend=pretend, vcs_ref=vcs_ref, warn=_warn)
    verb = "Would update" if result.pretend else "Updated"
    click.echo(
        f"{verb} {_shown(result.path)} from {result.template}"
        f" {result.old_version or '?'} -> {result.new_version or '?'}"
    )
    for attribute, title in _SECTIONS:
        paths = getattr(result, attribute)
        if paths:
            click.echo(f"{title}:")
            for relative in paths:
                click.echo(f"  {relative}")
    counts = ", ".join(
        f"{len(getattr(result, attribute))} {attribute}" for attribute, _ in _SECTIONS
    )
    click.echo(counts + (" (nothing written)" if result.pretend else ""))
    if result.conflicts:
        ctx.exit(1)

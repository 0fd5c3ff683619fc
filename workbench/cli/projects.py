"""``workbench projects``: the projects the workbench knows about."""

from __future__ import annotations

import json

import click


@click.group()
def projects() -> None:
    """List the projects under the projects folder and those opened by path."""


@projects.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """List projects: name, template, template version, created, path."""
    from workbench.core.scaffold import list_projects

    infos = list_projects()
    if as_json:
        click.echo(json.dumps([info.model_dump(mode="json") for info in infos], indent=2))
        return
    if not infos:
        click.echo("No projects yet: create one with `workbench new NAME`.")
        return
    rows = [("NAME", "TEMPLATE", "VERSION", "CREATED", "PATH")]
    rows += [
        (
            info.name,
            info.template or "-",
            info.template_version or "-",
            info.created.strftime("%Y-%m-%d"),
            str(info.path),
        )
        for info in infos
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]))

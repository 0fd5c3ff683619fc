"""``workbench projects``: the projects the workbench knows about."""

from __future__ import annotations

import click

from workbench.cli.output_format import chosen_format, format_option, tsv_text
from workbench.core.figures import json_text


@click.group()
def projects() -> None:
    """List the projects under the projects folder and those opened by path."""


@projects.command("list")
@format_option
def list_command(output_format: str | None, as_json: bool) -> None:
    """List projects: name, template, template version, created, path (TSV when piped)."""
    from workbench.core.scaffold import list_projects

    infos = list_projects()
    shown = chosen_format(output_format, as_json)
    if shown == "json":
        click.echo(json_text([info.model_dump(mode="json") for info in infos]))
        return
    if shown == "tsv":
        header = ("name", "template", "template_version", "created", "path", "description")
        listed = [
            (
                info.name,
                info.template,
                info.template_version,
                info.created.isoformat(),
                str(info.path),
                info.description,
            )
            for info in infos
        ]
        click.echo(tsv_text(header, listed))
        if not infos:
            click.echo(_EMPTY, err=True)
        return
    if not infos:
        click.echo(_EMPTY)
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


_EMPTY = "No projects yet: create one with `workbench new NAME`."

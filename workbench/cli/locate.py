"""``workbench locate``: print where the workbench keeps things."""

from __future__ import annotations

import click

from workbench import locations

_PLACES = {
    "db": locations.db_path,
    "home": locations.home,
    "templates": locations.templates_dir,
    "projects": locations.projects_dir,
}


@click.command()
@click.argument("what", type=click.Choice(sorted(_PLACES)))
def locate(what: str) -> None:
    """Print the path of the database, the home folder, the templates or the projects folder."""
    click.echo(str(_PLACES[what]()))

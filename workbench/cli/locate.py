"""``workbench locate``: print where the workbench keeps things."""

from __future__ import annotations

import click

# Names of the functions in ``workbench.locations`` (imported on use: it reads the settings).
_PLACES = {
    "db": "db_path",
    "home": "home",
    "templates": "templates_dir",
    "projects": "projects_dir",
}


@click.command()
@click.argument("what", type=click.Choice(sorted(_PLACES)))
def locate(what: str) -> None:
    """Print the path of the database, the home folder, the templates or the projects folder."""
    from workbench import locations

    click.echo(str(getattr(locations, _PLACES[what])()))

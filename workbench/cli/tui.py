"""``workbench tui``: open the terminal UI (also what a bare ``workbench`` does)."""

from __future__ import annotations

import click


def launch(project: str | None = None) -> None:
    """Start the Textual app; imported lazily so the CLI stays fast and UI-free."""
    from workbench.tui.app import run_app

    run_app(project=project)


@click.command()
@click.argument("project", required=False)
def tui(project: str | None) -> None:
    """Open the terminal UI, optionally on PROJECT."""
    launch(project)

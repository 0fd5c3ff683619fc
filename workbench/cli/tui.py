"""``workbench tui``: open the terminal UI (also what a bare ``workbench`` does)."""

from __future__ import annotations

import contextlib

import click


def launch(project: str | None = None) -> None:
    """Start the Textual app; imported lazily so the CLI stays fast and UI-free.

    When the user quits, the app has restored the terminal and stopped the collector
    (its writer flushed and closed): the process ends there, without the interpreter
    teardown of Textual and the rest (most of a second on a busy machine).
    """
    from workbench.cli import _exit_now
    from workbench.tui.app import run_app

    run_app(project=project)
    _drop_typed_keys()
    _exit_now(0)


def _drop_typed_keys() -> None:
    """Discard keys typed while the app was closing, so they do not reach the shell."""
    import sys
    import termios

    with contextlib.suppress(OSError, ValueError):
        if sys.stdin.isatty():
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)


@click.command()
@click.argument("project", required=False)
def tui(project: str | None) -> None:
    """Open the terminal UI, optionally on PROJECT."""
    launch(project)

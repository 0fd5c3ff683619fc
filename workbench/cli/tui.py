"""``workbench tui``: open the terminal UI (also what a bare ``workbench`` does)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import click


def launch(project: str | None = None) -> None:
    """Start the Textual app; imported lazily so the CLI stays fast and UI-free.

    When the user quits, the app has restored the terminal and stopped the collector
    (its writer flushed and closed): the process ends there, without the interpreter
    teardown of Textual and the rest (most of a second on a busy machine).
    """
    from workbench.cli import _exit_now
    from workbench.tui.app import run_app

    _exit_now(run_app(project=project, closing=typed_keys_dropped))


@contextlib.contextmanager
def typed_keys_dropped() -> Iterator[None]:
    """While the app finishes closing, keys typed are neither echoed nor left for the shell.

    The terminal is back in its normal mode by then, so without this a key pressed in the
    last fraction of a second would be echoed and then read by the shell as a command.
    """
    import termios

    fd, saved = None, None
    with contextlib.suppress(OSError, ValueError, termios.error):
        if sys.stdin.isatty():
            fd = sys.stdin.fileno()
            saved = termios.tcgetattr(fd)
            quiet = termios.tcgetattr(fd)
            quiet[3] &= ~(termios.ECHO | termios.ECHONL)
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        if fd is not None and saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcflush(fd, termios.TCIFLUSH)
                termios.tcsetattr(fd, termios.TCSANOW, saved)


@click.command()
@click.argument("project", required=False)
def tui(project: str | None) -> None:
    """Open the terminal UI, optionally on PROJECT."""
    launch(project)

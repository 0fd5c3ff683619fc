"""The ``workbench`` command: subcommands grouped by noun, loaded only when used.

Importing this package must stay cheap: it imports neither Textual nor litellm,
and each subcommand's module is imported only when that subcommand runs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

from workbench import __version__
from workbench.errors import WorkbenchError

# name -> "module:attribute" of the click command; later capabilities add theirs here.
COMMANDS: dict[str, str] = {
    "new": "workbench.cli.scaffold:new",
    "init": "workbench.cli.init:init",
    "update": "workbench.cli.scaffold:update",
    "projects": "workbench.cli.projects:projects",
    "locate": "workbench.cli.locate:locate",
    "tui": "workbench.cli.tui:tui",
    "collect": "workbench.cli.collect:collect",
    "traces": "workbench.cli.traces:traces",
    "budget": "workbench.cli.budget:budget",
    "run": "workbench.cli.run:run",
    "dev": "workbench.cli.dev:dev",
    "mock": "workbench.cli.mock:mock",
    "eval": "workbench.cli.evals:eval_group",
    "compare": "workbench.cli.compare:compare",
    "ship": "workbench.cli.ship:ship",
    "check": "workbench.cli.check:check",
    "signoff": "workbench.cli.check:signoff",
    "lock": "workbench.cli.lock:lock",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, and whose errors are one line."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module_name, attribute = self.lazy[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WorkbenchError as error:
            # One line, the way click shows its own errors, and the error's own exit code.
            click.echo(f"error: {error.message}", err=True)
            raise click.exceptions.Exit(error.exit_code) from None


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="workbench")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Agent Workbench: scaffold, run, watch, evaluate and ship AI agents, locally.

    Run without a command to open the terminal UI.
    """
    if ctx.invoked_subcommand is None:
        from workbench.cli.tui import launch

        launch()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``workbench`` console script: click's errors, and 130 on Ctrl-C.

    Called without ``argv`` (as the console script), Ctrl-C ends the process at once
    once the command has unwound: each command closes what it opened in its own
    ``finally`` blocks, and tearing down an interpreter that imported litellm
    takes seconds more, for nothing.
    """
    try:
        result = cli.main(args=argv, prog_name="workbench", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        if argv is None:
            _exit_now(130)
        sys.exit(130)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    sys.exit(result if isinstance(result, int) else 0)


def _exit_now(code: int) -> None:
    """Flush the standard streams and end the process without interpreter teardown."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)

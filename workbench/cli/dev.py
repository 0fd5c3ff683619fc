"""``workbench dev``: the project's service with auto-reload, the collector and the mock."""

from __future__ import annotations

import signal

import click


@click.command()
@click.argument("project")
@click.option(
    "--port",
    "-p",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The service's port.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The service's address.")
@click.option("--model", "-m", help="mock (default), replay, or a litellm model string.")
@click.option(
    "--collector-port",
    type=click.IntRange(1, 65535),
    help="Where the collector listens (default: WORKBENCH_COLLECTOR_PORT, 4318).",
)
@click.option("--no-reload", is_flag=True, help="Do not restart on code and prompt changes.")
def dev(
    project: str,
    port: int,
    host: str,
    model: str | None,
    collector_port: int | None,
    no_reload: bool,
) -> None:
    """Serve PROJECT locally: its API with auto-reload, the trace collector, and the mock model.

    Requests sent to the service show up as live traces. Ctrl-C stops everything.
    """
    from rich.console import Console

    from workbench.core.dev import DevStack
    from workbench.core.projects import open_project

    # SIGTERM (a supervisor, `kill`) and SIGHUP (the terminal closed) stop like Ctrl-C:
    # by default they end this process at once and orphan the service's process group.
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _interrupt)
    console = Console(stderr=True)
    stack = DevStack(
        open_project(project),
        port=port,
        host=host,
        model=model,
        collector_port=collector_port,
        reload=not no_reload,
    )
    try:
        with console.status("starting the collector, the mock and the service…"):
            addresses = stack.start()
        for label, address in addresses.lines():
            console.print(f"[bold]{label:>11}[/]  {address}")
        console.print(
            f"[dim]{'model':>11}  {stack.source}"
            f"{'' if stack.source != 'real' else ' ' + str(model)} · Ctrl-C stops[/]"
        )
        code = stack.wait()
        if code:
            raise click.ClickException(f"the service exited with code {code}")
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        stack.stop()


def _interrupt(signum: int, frame: object) -> None:
    """Turn a stop signal into ``KeyboardInterrupt``, so ``dev`` stops what it started."""
    raise KeyboardInterrupt

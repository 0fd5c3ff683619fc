"""``workbench traces``: list collected traces and show one as a tree."""

from __future__ import annotations

import json

import click

from workbench.errors import NotFound


@click.group()
def traces() -> None:
    """Browse the traces the collector stored."""


@traces.command("list")
@click.option("--project", "-p", help="Only traces of this project (service.name).")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--status", type=click.Choice(["ok", "error"]), help="Only ok or failed traces.")
@click.option("--model", help="Only traces that used a model containing this text.")
@click.option(
    "--search", "-s", help="Text in the root span's name or project, or a trace id prefix."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(
    project: str | None,
    limit: int,
    status: str | None,
    model: str | None,
    search: str | None,
    as_json: bool,
) -> None:
    """List traces, newest first."""
    from workbench.cli.trace_render import summary_json
    from workbench.store.db import connect
    from workbench.store.traces import list_traces, unpriced_calls

    db = connect()
    try:
        rows = list_traces(
            db, project=project, status=status, model=model, search=search, limit=limit
        )
        unpriced = unpriced_calls(db, [row.trace_id for row in rows])
    finally:
        db.conn.close()
    if as_json:
        listed = [
            {**summary_json(row), "unpriced_calls": unpriced.get(row.trace_id, 0)} for row in rows
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    _print_table(rows, unpriced)


def _cost_cell(cost: float, unpriced: int) -> str:
    from workbench.cli.trace_render import format_cost

    if not unpriced:
        return format_cost(cost)
    return "unpriced" if not cost else f"{format_cost(cost)} + {unpriced} unpriced"


def _print_table(rows, unpriced: dict[str, int]) -> None:
    from rich.console import Console
    from rich.table import Table

    from workbench.cli.trace_render import format_duration, format_start

    console = Console()
    if not rows:
        console.print("no traces yet (is the collector running? try `workbench collect`)")
        return
    table = Table(box=None, header_style="bold")
    for column in ("trace", "started", "project", "name", "status", "duration", "spans"):
        table.add_column(column)
    table.add_column("tokens in/out", justify="right")
    table.add_column("cost", justify="right")
    table.add_column("models")
    for row in rows:
        table.add_row(
            row.trace_id[:12],
            format_start(row.start_ns),
            row.project,
            row.name,
            f"[red]{row.status}[/]" if row.status == "error" else row.status,
            format_duration(row.duration_ms),
            str(row.span_count),
            f"{row.input_tokens}/{row.output_tokens}",
            _cost_cell(row.cost_usd, unpriced.get(row.trace_id, 0)),
            ", ".join(row.models),
        )
    console.print(table)


@traces.command("show")
@click.argument("trace_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
def show_command(trace_id: str, as_json: bool) -> None:
    """Show one trace (a full id or a unique prefix of 8+ hex digits) as a span tree."""
    from workbench.cli.trace_render import render_trace_totals, render_trace_tree, trace_json
    from workbench.store.db import connect
    from workbench.store.traces import get_trace

    db = connect()
    try:
        detail = get_trace(db, trace_id)
    finally:
        db.conn.close()
    if detail is None:
        raise NotFound(
            f"no trace {trace_id!r} (give a full id or a unique prefix of 8+ hex digits)"
        )
    if as_json:
        click.echo(json.dumps(trace_json(detail), indent=2, default=str))
        return
    from rich.console import Console

    console = Console()
    console.print(render_trace_tree(detail))
    console.print(render_trace_totals(detail))

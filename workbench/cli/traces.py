"""``workbench traces``: list collected traces and show one as a tree."""

from __future__ import annotations

import json

import click

from workbench.cli.traces_metrics import metrics_command
from workbench.errors import NotFound


@click.group()
def traces() -> None:
    """Browse the traces the collector stored."""


traces.add_command(metrics_command)


@traces.command("list")
@click.option("--project", "-p", help="Only traces of this project (service.name).")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--status", type=click.Choice(["ok", "error"]), help="Only ok or failed traces.")
@click.option("--model", help="Only traces that used a model containing this text.")
@click.option(
    "--search", "-s", help="Text in the root span's name or project, or a trace id prefix."
)
@click.option("--variant", help="Only traces of this variant.")
@click.option("--session", help="Only traces of this session (conversation id).")
@click.option("--since", help="Started at or after: 30m, 2h, 7d, 1w ago, or an ISO date/time.")
@click.option("--until", help="Started before: 30m, 2h, 7d, 1w ago, or an ISO date/time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(
    project: str | None,
    limit: int,
    status: str | None,
    model: str | None,
    search: str | None,
    variant: str | None,
    session: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """List traces, newest first, with a preview of each one's input and output."""
    from workbench.cli.trace_render import summary_json
    from workbench.core.timerange import parse_time
    from workbench.store.db import connect
    from workbench.store.trace_browse import trace_previews
    from workbench.store.traces import list_traces, unpriced_calls

    since_ns = parse_time(since, option="--since") if since else None
    until_ns = parse_time(until, option="--until") if until else None
    db = connect()
    try:
        rows = list_traces(
            db,
            project=project,
            status=status,
            model=model,
            search=search,
            variant=variant,
            session=session,
            since_ns=since_ns,
            until_ns=until_ns,
            limit=limit,
        )
        ids = [row.trace_id for row in rows]
        unpriced = unpriced_calls(db, ids)
        previews = trace_previews(db, ids)
    finally:
        db.conn.close()
    if as_json:
        listed = [
            {
                **summary_json(row),
                "unpriced_calls": unpriced.get(row.trace_id, 0),
                "input": previews[row.trace_id].input,
                "output": previews[row.trace_id].output,
            }
            for row in rows
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    _print_table(rows, unpriced, previews)


def _cost_cell(cost: float, unpriced: int) -> str:
    from workbench.cli.trace_render import format_cost

    if not unpriced:
        return format_cost(cost)
    return "unpriced" if not cost else f"{format_cost(cost)} + {unpriced} unpriced"


def _print_table(rows, unpriced: dict[str, int], previews=None) -> None:
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
    table.add_column("input → output", overflow="ellipsis", no_wrap=True, max_width=60)
    for row in rows:
        preview = (previews or {}).get(row.trace_id)
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
            f"{preview.input} → {preview.output}" if preview and preview.input else "",
        )
    console.print(table)


@traces.command("show")
@click.argument("trace_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
@click.option(
    "--span",
    "span_id",
    help="Show this span (an id or a unique prefix): messages, tool calls and logs.",
)
def show_command(trace_id: str, as_json: bool, span_id: str | None) -> None:
    """Show one trace (a full id or a unique prefix of 8+ hex digits) as a span tree."""
    from workbench.cli.trace_render import render_trace_totals, render_trace_tree, trace_json
    from workbench.store.db import connect
    from workbench.store.telemetry import trace_logs
    from workbench.store.traces import get_trace

    db = connect()
    try:
        detail = get_trace(db, trace_id)
        logs = trace_logs(db, detail.trace_id) if detail is not None else []
    finally:
        db.conn.close()
    if detail is None:
        raise NotFound(
            f"no trace {trace_id!r} (give a full id or a unique prefix of 8+ hex digits)"
        )
    if span_id is not None:
        from workbench.cli.span_render import print_span

        print_span(detail, span_id, logs, as_json=as_json)
        return
    if as_json:
        click.echo(json.dumps(trace_json(detail), indent=2, default=str))
        return
    from rich.console import Console

    console = Console()
    console.print(render_trace_tree(detail))
    console.print(render_trace_totals(detail))
    if logs:
        spans = len({record.span_id for record in logs if record.span_id})
        console.print(
            f"[dim]{len(logs)} log record(s) on {spans} span(s); `--span ID` shows a span's "
            "messages, tool calls and logs[/]"
        )


@traces.command("session")
@click.argument("session_id")
@click.option("--project", "-p", help="Only this project's turns of the session.")
@click.option("--limit", "-n", default=200, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a transcript.")
def session_command(session_id: str, project: str | None, limit: int, as_json: bool) -> None:
    """Show one conversation: its turns oldest first, each input, output and figures."""
    from workbench.cli.trace_render import summary_json
    from workbench.store.db import connect
    from workbench.store.trace_browse import session_turns

    db = connect()
    try:
        turns = session_turns(db, session_id, project=project, limit=limit)
    finally:
        db.conn.close()
    if not turns:
        raise NotFound(f"no traces in session {session_id!r} (see `workbench traces list`)")
    if as_json:
        listed = [
            {**summary_json(turn.summary), "input": turn.input, "output": turn.output}
            for turn in turns
        ]
        click.echo(json.dumps(listed, indent=2))
        return
    _print_session(session_id, turns)


def _print_session(session_id: str, turns) -> None:
    from rich.console import Console
    from rich.markup import escape

    from workbench.cli.trace_render import format_cost, format_duration, format_start

    console = Console()
    total_cost = sum(turn.summary.cost_usd for turn in turns)
    total_ms = sum(turn.summary.duration_ms for turn in turns)
    console.print(
        f"[bold]session {escape(session_id)}[/] · {len(turns)} turns · "
        f"{format_duration(total_ms)} · {format_cost(total_cost)}"
    )
    for number, turn in enumerate(turns, 1):
        row = turn.summary
        status = "[red]error[/]" if row.status == "error" else "ok"
        console.print(
            f"\n[dim]#{number} {format_start(row.start_ns)} · trace {row.trace_id} · "
            f"{format_duration(row.duration_ms)} · {format_cost(row.cost_usd)} ·[/] {status}"
        )
        console.print(f"[bold cyan]user[/]  {escape(turn.input or '(input not recorded)')}")
        console.print(f"[bold green]agent[/] {escape(turn.output or '(output not recorded)')}")

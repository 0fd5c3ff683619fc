"""``workbench traces``: list collected traces and show one as a tree."""

from __future__ import annotations

import click

from workbench.cli.output_format import chosen_format, format_option, table_width, tsv_text
from workbench.cli.traces_metrics import metrics_command
from workbench.core.figures import json_text, tidy
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
@format_option
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
    output_format: str | None,
    as_json: bool,
) -> None:
    """List traces, newest first, with a preview of each one's input and output.

    A table on a terminal; piped, TSV with full ids (or choose with --format).
    """
    from workbench.cli.trace_render import summary_json
    from workbench.core.timerange import parse_time
    from workbench.store.db import connect
    from workbench.store.trace_browse import summaries_previews
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
        previews = summaries_previews(db, rows)
    finally:
        db.conn.close()
    listed = [
        {
            **summary_json(row),
            "unpriced_calls": unpriced.get(row.trace_id, 0),
            "input": previews[row.trace_id].input,
            "output": previews[row.trace_id].output,
        }
        for row in rows
    ]
    shown = chosen_format(output_format, as_json)
    if shown == "json":
        click.echo(json_text(listed))
    elif shown == "tsv":
        cells = ([_tsv_value(item[column]) for column in TSV_COLUMNS] for item in listed)
        click.echo(tsv_text(TSV_COLUMNS, cells))
        if not rows:
            click.echo(_EMPTY, err=True)
    else:
        _print_table(rows, unpriced, previews)


# Every listed field a script would want, in full; models as a comma-separated list.
TSV_COLUMNS = (
    "trace_id",
    "start_time",
    "project",
    "name",
    "status",
    "duration_ms",
    "span_count",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "unpriced_calls",
    "models",
    "input",
    "output",
)


def _tsv_value(value: object) -> object:
    """Lists as comma-separated text; numbers without float noise."""
    return ",".join(map(str, value)) if isinstance(value, list) else tidy(value)


_EMPTY = "no traces yet (is the collector running? try `workbench collect`)"


def _cost_cell(cost: float, unpriced: int) -> str:
    from workbench.cli.trace_render import format_cost

    if not unpriced:
        return format_cost(cost)
    return "unpriced" if not cost else f"{format_cost(cost)} + {unpriced} unpriced"


def _print_table(rows, unpriced: dict[str, int], previews=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from workbench.cli.trace_render import format_duration, format_start

    console = Console(width=table_width())
    if not rows:
        console.print(_EMPTY)
        return
    table = Table(box=None, header_style="bold")
    # The id and the name are what people copy and read: never shortened to fit.
    table.add_column("trace", no_wrap=True, min_width=12)
    table.add_column("started", no_wrap=True)
    table.add_column("project")
    table.add_column("name", no_wrap=True)
    for column in ("status", "duration", "spans"):
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
        data = trace_json(detail)
        data["logs"] = [record.model_dump() for record in logs]
        click.echo(json_text(data))
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
        click.echo(json_text(listed))
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

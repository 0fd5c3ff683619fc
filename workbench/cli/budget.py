"""``workbench budget``: a project's spend against its ``[budgets]`` limits."""

from __future__ import annotations

import click

from workbench.core.figures import json_text

_LABELS = {
    "tokens_per_request": "tokens per request",
    "tokens_per_session": "tokens per session",
    "usd_per_request": "USD per request",
    "usd_per_day": "USD per day",
    "usd_per_month": "USD per month",
}


@click.command()
@click.argument("project")
@click.option("--session", "-s", help="The session to measure (default: the latest trace's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def budget(project: str, session: str | None, as_json: bool) -> None:
    """Show PROJECT's spend against its budgets, by model and variant, with thresholds crossed."""
    from workbench.core.budget import budget_status
    from workbench.core.projects import open_project
    from workbench.store.db import connect

    opened = open_project(project)
    db = connect()
    try:
        report = budget_status(db, opened, session_id=session)
    finally:
        db.conn.close()
    if as_json:
        click.echo(json_text(report_json(report)))
        return
    from rich.console import Console

    console = Console()
    for renderable in render_budget(report):
        console.print(renderable)


def report_json(report) -> dict:
    """A ``BudgetReport`` as JSON, with ``exceeded`` on each limit."""
    data = report.model_dump()
    for line, dumped in zip(report.lines, data["lines"], strict=True):
        dumped["exceeded"] = line.exceeded
    return data


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "usd":
        return f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    return f"{value:,.0f}"


def _gauge(share: float | None, width: int = 20):
    from rich.text import Text

    if share is None:
        return Text("no limit", style="dim")
    filled = min(width, round(share * width))
    style = "red" if share >= 1 else "yellow" if share >= 0.8 else "green"
    return Text.assemble(
        ("█" * filled, style), ("░" * (width - filled), "dim"), (f" {share:6.1%}", style)
    )


def render_budget_lines(report):
    """The limits as a rich table: scope, spent, limit, a gauge and the thresholds crossed."""
    from rich.table import Table

    table = Table(title=f"Budgets of {report.project}", title_justify="left", header_style="bold")
    for column in ("limit", "scope"):
        table.add_column(column)
    table.add_column("spent", justify="right")
    table.add_column("of", justify="right")
    table.add_column("usage")
    table.add_column("crossed")
    for line in report.lines:
        crossed = ", ".join(f"{t:.0%}" for t in line.crossed)
        table.add_row(
            _LABELS[line.name],
            line.scope,
            _amount(line.spent, line.unit),
            _amount(line.limit, line.unit),
            _gauge(line.share),
            f"[red]{crossed}[/]" if line.exceeded else f"[yellow]{crossed}[/]" if crossed else "",
        )
    return table


def _spend_table(title: str, rows):
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("")
    table.add_column("traces", justify="right")
    table.add_column("tokens in/out", justify="right")
    table.add_column("cost", justify="right")
    for row in rows:
        table.add_row(
            row.key or "(none)",
            str(row.trace_count),
            f"{row.input_tokens:,}/{row.output_tokens:,}",
            _amount(row.cost_usd, "usd"),
        )
    return table


def render_budget(report) -> list:
    """Everything ``workbench budget`` prints: limits, then this month by source (real money
    apart from mock, replay and readiness-probe spend), model and variant."""
    return [
        render_budget_lines(report),
        _spend_table("This month by source (only 'real' is money spent)", report.by_source),
        _spend_table("This month by model", report.by_model),
        _spend_table("This month by variant", report.by_variant),
    ]


def render_budget_brief(report):
    """The session's and today's usage on one line, then one line per limit past a threshold."""
    from rich.text import Text

    lines = {line.name: line for line in report.lines}
    text = Text("Budget: ", style="bold")
    parts = []
    for name in ("tokens_per_session", "usd_per_day"):
        line = lines[name]
        share = f" ({line.share:.0%})" if line.share is not None else ""
        parts.append(
            f"{line.scope} {_amount(line.spent, line.unit)} of {_amount(line.limit, line.unit)}"
            f"{' ' + line.unit if line.unit == 'tokens' else ''}{share}"
        )
    text.append(" · ".join(parts), style="bold" if report.alerts else "green")
    for line in report.alerts:
        style = "red" if line.exceeded else "yellow"
        text.append(
            f"\n  {_LABELS[line.name]} ({line.scope}): {_amount(line.spent, line.unit)} of "
            f"{_amount(line.limit, line.unit)} = {line.share:.0%}",
            style=style,
        )
    return text

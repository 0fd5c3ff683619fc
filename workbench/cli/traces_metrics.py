"""``workbench traces metrics``: the GenAI metrics the collector kept, totalled per model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.core.figures import (
    format_cost,
    format_duration,
    format_number,
    format_tokens,
    json_text,
)

if TYPE_CHECKING:
    from rich.table import Table

    from workbench.core.telemetrymodels import MetricSummary

_UNIT_NAMES = {"{token}": "tokens", "token": "tokens", "s": "s", "USD": "USD"}


@click.command("metrics")
@click.option("--project", "-p", help="Only this project (service.name).")
@click.option("--name", help="Only this metric, e.g. gen_ai.client.token.usage.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def metrics_command(project: str | None, name: str | None, as_json: bool) -> None:
    """GenAI metrics (token usage, operation duration, ...) per project, model and token type.

    Cumulative series count once (their newest point); delta points add up.
    """
    from workbench.store.db import connect
    from workbench.store.telemetry import metric_summaries

    db = connect()
    try:
        rows = metric_summaries(db, project=project, name=name)
    finally:
        db.conn.close()
    if as_json:
        listed = [{**row.model_dump(), "mean": row.mean} for row in rows]
        click.echo(json_text(listed))
        return
    from rich.console import Console

    console = Console()
    if not rows:
        console.print(
            "no GenAI metrics yet (point your agent's OTLP metrics exporter at "
            "`workbench collect`: OTEL_EXPORTER_OTLP_ENDPOINT)"
        )
        return
    projects: dict[str, list[MetricSummary]] = {}
    for row in rows:
        projects.setdefault(row.project, []).append(row)
    for project, summaries in projects.items():
        console.print(_table(project, summaries))


def _table(project: str, rows: list[MetricSummary]) -> Table:
    """One project's metrics; the operation column only when its calls differ in it."""
    from rich.table import Table

    operations = len({row.operation for row in rows}) > 1
    title = f"{project}  [dim](gen_ai.* metrics)[/]"
    table = Table(box=None, header_style="bold", title=title, title_justify="left")
    # On a narrow terminal the names fold onto a second line; the figures are never cut.
    table.add_column("metric", overflow="fold")
    table.add_column("model", overflow="fold")
    if operations:
        table.add_column("operation", overflow="fold")
    table.add_column("type", no_wrap=True)
    figures = ("count", "total", "mean", "min", "max")
    body = []
    for row in rows:
        unit = _UNIT_NAMES.get(row.unit or "", row.unit or "")
        cells = [row.name.removeprefix("gen_ai."), row.model or "-"]
        if operations:
            cells.append(row.operation or "-")
        cells += [
            row.token_type or "-",
            str(row.count) if row.count else "-",
            _number(row.total, unit),
            _number(row.mean, unit),
            _number(row.min, unit),
            _number(row.max, unit),
        ]
        body.append(cells)
    for index, column in enumerate(figures, start=len(cells) - len(figures)):
        widest = max(len(column), *(len(cells[index]) for cells in body))
        table.add_column(column, justify="right", no_wrap=True, min_width=widest)
    for cells in body:
        table.add_row(*cells)
    return table


def _number(value: float | None, unit: str) -> str:
    """A figure in the metric's unit: durations in ms or s, dollars, token counts."""
    if value is None:
        return "-"
    if unit == "s":
        return format_duration(value * 1000)
    if unit == "USD":
        return format_cost(value)
    if unit == "tokens":
        return format_tokens(round(value))
    return format_number(value) + (f" {unit}" if unit else "")

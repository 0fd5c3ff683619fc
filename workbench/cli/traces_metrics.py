"""``workbench traces metrics``: the GenAI metrics the collector kept, totalled per model."""

from __future__ import annotations

import click

from workbench.core.figures import json_text

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
    from rich.table import Table

    console = Console()
    if not rows:
        console.print(
            "no GenAI metrics yet (point your agent's OTLP metrics exporter at "
            "`workbench collect`: OTEL_EXPORTER_OTLP_ENDPOINT)"
        )
        return
    table = Table(box=None, header_style="bold")
    for column in ("metric", "project", "model", "operation", "type"):
        table.add_column(column)
    for column in ("count", "total", "mean", "min", "max"):
        table.add_column(column, justify="right")
    for row in rows:
        unit = _UNIT_NAMES.get(row.unit or "", row.unit or "")
        table.add_row(
            row.name,
            row.project,
            row.model or "-",
            row.operation or "-",
            row.token_type or "-",
            str(row.count) if row.count else "-",
            _number(row.total, unit),
            _number(row.mean, unit),
            _number(row.min, unit),
            _number(row.max, unit),
        )
    console.print(table)


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "tokens" or float(value).is_integer():
        return f"{value:,.0f}" + (f" {unit}" if unit and unit != "tokens" else "")
    return f"{value:.6g}" + (f" {unit}" if unit else "")

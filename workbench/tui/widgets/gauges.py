"""Gauges for a turn's tokens and cost and for each budget limit, highlighted past a threshold."""

from __future__ import annotations

from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from workbench.cli.trace_render import format_cost
from workbench.core.budget import BudgetLine, BudgetReport
from workbench.core.tracemodels import TraceSummary

BAR = 20
_TITLES = {
    "tokens_per_request": "Tokens / request",
    "usd_per_request": "Cost / request",
    "tokens_per_session": "Tokens / session",
    "usd_per_day": "Cost today",
    "usd_per_month": "Cost this month",
}


def line_title(line: BudgetLine) -> str:
    """A budget line's name as a person would say it."""
    return _TITLES.get(line.name, line.name)


def _amount(value: float, unit: str) -> str:
    return format_cost(value) if unit == "usd" else f"{int(value):,}"


def gauge_markup(line: BudgetLine, width: int = BAR) -> str:
    """``Title  ██████░░░░  spent / limit  share`` with the bar coloured by how full it is."""
    title = f"{line_title(line):<17}"
    if line.limit is None or line.share is None:
        return f"{title}[$text-muted]{'·' * width}  {_amount(line.spent, line.unit)} (no limit)[/]"
    filled = min(width, round(line.share * width))
    colour = (
        "$text-error" if line.share >= 1 else "$text-warning" if line.crossed else "$text-success"
    )
    return (
        f"{title}[{colour}]{'█' * filled}[/][$text-muted]{'░' * (width - filled)}[/]  "
        f"{_amount(line.spent, line.unit)} / {_amount(line.limit, line.unit)}  "
        f"[b {colour}]{line.share:.0%}[/]"
    )


class Gauge(Static):
    """One budget line; ``-alert`` once it crossed a threshold, ``-exceeded`` at 100%."""

    def show(self, line: BudgetLine) -> None:
        """Draw ``line`` and set the alert classes."""
        self.update(gauge_markup(line))
        self.set_class(bool(line.crossed), "-alert")
        self.set_class(line.exceeded, "-exceeded")


class TurnGauges(Vertical):
    """This turn's tokens and cost, then one gauge per budget limit."""

    DEFAULT_CSS = """
    TurnGauges {
        height: auto;
        padding: 0 1;
        background: $panel;
        & > #gauge-turn { margin-bottom: 1; }
        & > Gauge.-alert { background: $warning-muted; }
        & > Gauge.-exceeded { background: $error-muted; text-style: bold; }
    }
    """

    def compose(self):
        yield Static("No turn yet.", id="gauge-turn")
        for name in _TITLES:
            yield Gauge(id=f"gauge-{name.replace('_', '-')}")

    def show_turn(self, summary: TraceSummary | None) -> None:
        """The turn's tokens and cost so far."""
        text = "No turn yet."
        if summary is not None:
            text = (
                f"[b]This turn[/]  {summary.span_count} spans · in {summary.input_tokens:,} / "
                f"out {summary.output_tokens:,} tokens · [$text-success]"
                f"{escape(format_cost(summary.cost_usd))}[/]"
            )
        self.query_one("#gauge-turn", Static).update(text)

    def show_budget(self, report: BudgetReport) -> None:
        """One gauge per limit of ``report``."""
        for line in report.lines:
            self.query_one(f"#gauge-{line.name.replace('_', '-')}", Gauge).show(line)

"""The Evals section's Charts tab: pass rate across runs per variant, and per category."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.core.eval_charts import CategoryRate, TrendPoint
from workbench.core.evals.run_compare import short_time
from workbench.tui.widgets.charts import Chart

_TWO_COLUMNS = 120
# Lines in the trend chart and columns in the runs table: more is unreadable in a terminal.
_MOST_VARIANTS = 6


def trend_table(points: list[TrendPoint]) -> Content:
    """Runs oldest first, one column per variant: its pass rate, and the change since the
    variant's previous run (▲ better, ▼ worse)."""
    if not points:
        return Content.styled("No runs yet.", "$text-muted")
    variants = list(dict.fromkeys(point.variant for point in points))[:_MOST_VARIANTS]
    runs = list(dict.fromkeys((point.run_id, point.started_at) for point in points))
    rate = {(p.run_id, p.variant): p.pass_rate for p in points}
    width = max(12, *(len(name) + 2 for name in variants))
    lines = [
        Content.assemble(
            ("Run".ljust(22), "bold"),
            ("Started".ljust(18), "bold"),
            *((name.rjust(width), "bold") for name in variants),
        )
    ]
    last: dict[str, float] = {}
    for run_id, started in runs:
        cells: list[tuple[str, str]] = []
        for name in variants:
            value = rate.get((run_id, name))
            if value is None:
                cells.append(("–".rjust(width), "$text-muted"))
                continue
            before = last.get(name)
            last[name] = value
            change, style = "", ""
            if before is not None and round(value - before, 3):
                better = value > before
                change = f" {'▲' if better else '▼'}{abs(value - before):.0%}"
                style = "$text-success" if better else "$text-error"
            cells.append(((f"{value:.0%}" + change).rjust(width), style))
        lines.append(
            Content.assemble(
                run_id[:21].ljust(22), (short_time(started)[:16].ljust(18), "$text-muted"), *cells
            )
        )
    return Content("\n").join(lines)


class EvalCharts(VerticalScroll):
    """Pass rate across the project's runs, per category in the chosen run, and a runs table."""

    DEFAULT_CSS = """
    EvalCharts {
        height: 1fr;
        & > Grid { grid-size: 2; grid-rows: 16; height: 16; grid-gutter: 0 1; }
        & > Grid.-narrow { grid-size: 1; height: 32; }
        & > .eval-charts--heading { height: 1; padding: 0 1; text-style: bold; color: $primary; }
        & > #eval-trend-table { height: auto; padding: 0 1; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trend: list[TrendPoint] = []
        self.categories: list[CategoryRate] = []
        self.run_id: str | None = None

    def compose(self) -> ComposeResult:
        with Grid():
            yield Chart(id="chart-trend")
            yield Chart(id="chart-categories")
        yield Static("Runs over time", classes="eval-charts--heading")
        yield Static("", id="eval-trend-table")

    def on_resize(self) -> None:
        self.query_one(Grid).set_class(self.size.width < _TWO_COLUMNS, "-narrow")

    def show(
        self, trend: list[TrendPoint], run_id: str | None, categories: list[CategoryRate]
    ) -> None:
        """Draw the trend over ``trend`` and the categories of run ``run_id``."""
        self.trend, self.run_id, self.categories = trend, run_id, categories
        runs = list(dict.fromkeys((p.run_id, p.started_at) for p in trend))
        index = {run_id: i for i, (run_id, _) in enumerate(runs)}
        variants = list(dict.fromkeys(p.variant for p in trend))[:_MOST_VARIANTS]

        def paint_trend(plt) -> None:
            for name in variants:
                mine = [p for p in trend if p.variant == name]
                plt.plot(
                    [index[p.run_id] for p in mine],
                    [round(100 * p.pass_rate, 1) for p in mine],
                    label=name,
                    marker="braille",
                )
            plt.ylim(0, 100)
            plt.ylabel("% pass")
            step = max(1, -(-len(runs) // 5))
            plt.xticks(
                list(range(0, len(runs), step)),
                [short_time(started)[5:16] for _, started in runs[::step]],
            )

        categories_seen = list(dict.fromkeys(c.category for c in categories))
        by_variant = list(dict.fromkeys(c.variant for c in categories))[:_MOST_VARIANTS]
        rates = {(c.variant, c.category): round(100 * c.pass_rate, 1) for c in categories}

        def paint_categories(plt) -> None:
            plt.multiple_bar(
                categories_seen,
                [[rates.get((v, c), 0.0) for c in categories_seen] for v in by_variant],
                labels=by_variant,
            )
            plt.ylim(0, 100)
            plt.ylabel("% pass")

        self.query_one("#chart-trend", Chart).draw(
            f"Pass rate across the last {len(runs)} runs" if runs else "Pass rate across runs",
            paint_trend if trend else None,
        )
        self.query_one("#chart-categories", Chart).draw(
            f"Pass rate by category · run {run_id}" if run_id else "Pass rate by category",
            paint_categories if categories else None,
        )
        self.query_one("#eval-trend-table", Static).update(trend_table(trend))

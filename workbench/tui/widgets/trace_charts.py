"""The Traces section's Charts tab: latency, error rate, and cost and tokens by model or variant."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from workbench.core.trace_charts import SpendSeries, TraceSeries
from workbench.tui.widgets.charts import Chart, time_ticks

# Below this width the charts stack in one column instead of two.
_TWO_COLUMNS = 120


class TraceCharts(VerticalScroll):
    """Six charts over the traces the filters allow: drawn from a ``TraceSeries``."""

    DEFAULT_CSS = """
    TraceCharts {
        height: 1fr;
        & > #charts-note { height: 1; padding: 0 1; color: $text-muted; }
        & > Grid { grid-size: 2; grid-rows: 14; height: 42; grid-gutter: 0 1; }
        & > Grid.-narrow { grid-size: 1; height: 84; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series: TraceSeries | None = None
        self.by = "model"

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="charts-note")
        with Grid():
            for name in ("latency", "percentiles", "errors", "cost", "tokens", "traces"):
                yield Chart(id=f"chart-{name}")

    def on_resize(self) -> None:
        self.query_one(Grid).set_class(self.size.width < _TWO_COLUMNS, "-narrow")

    def toggle_by(self) -> None:
        """Split cost and tokens by variant instead of model, or back."""
        self.by = "variant" if self.by == "model" else "model"
        if self.series is not None:
            self.show(self.series)

    def show(self, series: TraceSeries) -> None:
        """Draw every chart from ``series``."""
        self.series = series
        width = (
            f"{series.bucket_s // 60} min"
            if series.bucket_s < 3600
            else (
                f"{series.bucket_s // 3600} h"
                if series.bucket_s < 86_400
                else f"{series.bucket_s // 86_400} d"
            )
        )
        capped = " (the newest; older ones left out)" if series.capped else ""
        self.query_one("#charts-note", Static).update(
            f"{series.traces} traces{capped} · one point per {width} · "
            f"cost and tokens by {self.by} (b switches)"
            if series.traces
            else "No traces match the filters."
        )
        have = bool(series.buckets)
        starts = [bucket.start_ns for bucket in series.buckets]
        ticks = time_ticks(starts)
        xs = list(range(len(starts)))

        def axis(plt) -> None:
            plt.xticks(*ticks)

        def latency(plt) -> None:
            bins = series.histogram
            labels = [_ms(b.low_ms) for b in bins]
            plt.bar(list(range(len(bins))), [b.count for b in bins], width=0.9)
            step = max(1, len(bins) // 5)
            plt.xticks(list(range(0, len(bins), step)), labels[::step])
            plt.ylabel("traces")

        def percentiles(plt) -> None:
            plt.plot(xs, [b.p50_ms for b in series.buckets], label="p50", marker="braille")
            plt.plot(xs, [b.p95_ms for b in series.buckets], label="p95", marker="braille")
            plt.ylabel("ms")
            axis(plt)

        def errors(plt) -> None:
            plt.bar(xs, [round(100 * b.error_rate, 1) for b in series.buckets], width=0.9)
            plt.ylim(0, 100)
            plt.ylabel("% errors")
            axis(plt)

        split = series.by_model if self.by == "model" else series.by_variant

        def spend(field: str):
            def paint(plt) -> None:
                for line in _top(split):
                    plt.plot(xs, getattr(line, field), label=line.key, marker="braille")
                plt.ylabel("$" if field == "cost_usd" else "tokens")
                axis(plt)

            return paint

        def traces(plt) -> None:
            plt.bar(xs, [b.traces for b in series.buckets], width=0.9)
            plt.ylabel("traces")
            axis(plt)

        charts = {
            "latency": ("Latency distribution", latency),
            "percentiles": ("Latency p50 / p95 over time", percentiles),
            "errors": ("Error rate over time", errors),
            "cost": (f"Cost over time by {self.by}", spend("cost_usd")),
            "tokens": (f"Tokens over time by {self.by}", spend("tokens")),
            "traces": ("Traces over time", traces),
        }
        for name, (title, paint) in charts.items():
            self.query_one(f"#chart-{name}", Chart).draw(title, paint if have else None)


def _top(series: list[SpendSeries], most: int = 6) -> list[SpendSeries]:
    """The ``most`` biggest lines (a legend beyond that is unreadable in a terminal)."""
    return series[:most]


def _ms(value: float) -> str:
    return f"{value / 1000:.1f}s" if value >= 1000 else f"{value:.0f}ms"

"""Charts drawn by plotext (textual-plotext): a titled plot, and time-axis labels for series."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

Draw = Callable[[Plot], None]


class Chart(PlotextPlot):
    """One plot; ``draw`` replaces what it shows (an empty note when there is no data)."""

    DEFAULT_CSS = """
    Chart {
        height: 1fr;
        min-height: 10;
        width: 1fr;
    }
    """

    def draw(self, title: str, paint: Draw | None) -> None:
        """Clear the plot and paint it again (``None``: nothing to show yet)."""
        plt = self.plt
        plt.clear_figure()
        plt.title(title if paint is not None else f"{title}: no data yet")
        if paint is not None:
            paint(plt)
        self.refresh()


def time_ticks(starts_ns: Sequence[int], most: int = 5) -> tuple[list[int], list[str]]:
    """Up to ``most`` evenly spread positions on an index axis and their local times.

    Times within one day read ``HH:MM``; longer spans read ``MM-DD HH:MM`` (or ``MM-DD``
    when every point is at midnight)."""
    if not starts_ns:
        return [], []
    moments = [dt.datetime.fromtimestamp(ns / 1e9) for ns in starts_ns]
    long = (moments[-1] - moments[0]) >= dt.timedelta(days=1)
    midnights = all(m.hour == 0 and m.minute == 0 for m in moments)
    form = "%m-%d" if long and midnights else ("%m-%d %H:%M" if long else "%H:%M")
    step = max(1, -(-len(moments) // most))
    positions = list(range(0, len(moments), step))
    return positions, [moments[i].strftime(form) for i in positions]

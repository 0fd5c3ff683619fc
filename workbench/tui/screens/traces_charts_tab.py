"""The Traces section's Charts tab: latency, cost, tokens and errors of the filtered traces.

The charts (and plotext) load on the tab's first visit, not with the list.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.widgets import TabbedContent

from workbench.core.live import TraceFilter
from workbench.core.trace_charts import TraceSeries
from workbench.tui.screens.traces_loading import TracesLoading
from workbench.tui.widgets.trace_list import TraceList

if TYPE_CHECKING:
    from workbench.tui.widgets.trace_charts import TraceCharts

# While the Charts tab shows, its series are read again at most this often as traces arrive.
CHARTS_SECONDS = 2.0


class TracesChartsTab(TracesLoading):
    """The Charts tab beside the list, read again when it shows and traces arrive."""

    def action_toggle_charts(self) -> None:
        """Switch between the list and the charts."""
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-list" if tabs.active == "tab-charts" else "tab-charts"

    def action_chart_split(self) -> None:
        """Split the cost and token charts by variant instead of model, or back."""
        charts = self._trace_charts()
        if charts is not None:
            charts.toggle_by()

    def _trace_charts(self) -> TraceCharts | None:
        """The Charts tab's widget, once its first visit has mounted it."""
        from workbench.tui.widgets.trace_charts import TraceCharts

        return next(iter(self.query(TraceCharts)), None)

    def _show_series(self, series: TraceSeries) -> None:
        charts = self._trace_charts()
        if charts is not None:
            charts.show(series)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys of one tab are offered (and shown in the footer) only on that tab.
        charts = action == "chart_split"
        if charts or action == "open_session":
            tabs = next(iter(self.query(TabbedContent)), None)
            on_charts = tabs is not None and tabs.active == "tab-charts"
            return on_charts if charts else not on_charts
        return super().check_action(action, parameters)

    @on(TabbedContent.TabActivated, "#traces-tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # TabbedContent announces its first tab on mount: no change, so no footer re-style.
        if event.pane.id == self._tab:
            return
        self._tab = event.pane.id or ""
        self.refresh_bindings()
        if event.pane.id == "tab-charts":
            charts = self._trace_charts()
            if charts is None:
                from workbench.tui.widgets.trace_charts import TraceCharts

                charts = TraceCharts(id="trace-charts")
                await event.pane.mount(charts)
            self._charts_due, self._charted = 0.0, None
            self._charts_tick()
            charts.focus()
        else:
            self.query_one(TraceList).focus()

    def _charts_tick(self) -> None:
        """Read the series again when the Charts tab shows and they are due."""
        if self.query_one(TabbedContent).active != "tab-charts" or self.reader is None:
            return
        now = time.monotonic()
        state = (self.filters, self._since)
        if self._charting or now < self._charts_due or state == self._charted:
            return
        self._charting, self._charts_due, self._charted = True, now + CHARTS_SECONDS, state
        self._load_charts(self.filters)

    @work(thread=True, exclusive=True, exit_on_error=False, group="traces-charts")
    def _load_charts(self, filters: TraceFilter) -> None:
        try:
            assert self.reader is not None
            series = self.reader.series(filters)
            self.app.call_from_thread(self._show_series, series)
        finally:
            self._charting = False

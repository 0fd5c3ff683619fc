"""The Evals section's Charts tab: the pass-rate trend of a project's runs and a run's categories.

The charts (and plotext) load on the tab's first visit, not with the matrix.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.widgets import TabbedContent

from workbench.tui.screens.evals_loading import EvalsLoading
from workbench.tui.widgets.results_matrix import ResultsMatrix


class EvalsChartsTab(EvalsLoading):
    """The Charts tab beside the results, read when it shows and when the shown run changes."""

    def action_toggle_charts(self) -> None:
        """Switch between the results and the charts."""
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-results" if tabs.active == "tab-charts" else "tab-charts"

    def _eval_charts(self) -> Any:
        """The Charts tab's widget, once its first visit has mounted it."""
        from workbench.tui.widgets.eval_charts import EvalCharts

        return next(iter(self.query(EvalCharts)), None)

    @on(TabbedContent.TabActivated, "#evals-tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-charts":
            charts = self._eval_charts()
            if charts is None:
                from workbench.tui.widgets.eval_charts import EvalCharts

                charts = EvalCharts(id="eval-charts")
                await event.pane.mount(charts)
            self._charts_if_shown()
            charts.focus()
        else:
            self.query_one(ResultsMatrix).focus()

    def _charts_if_shown(self) -> None:
        if self.project is not None and self.query_one(TabbedContent).active == "tab-charts":
            self._load_charts(str(self.project.path), self.run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-charts")
    def _load_charts(self, project: str, run_id: str | None) -> tuple[Any, ...]:
        """Read the pass-rate trend of the project's runs and the chosen run's categories."""
        assert self.reader is not None
        categories = self.reader.categories(run_id) if run_id else []
        return self.reader.trend(project), run_id, categories

    def _show_charts(self, *result: Any) -> None:
        charts = self._eval_charts()
        if charts is not None:
            charts.show(*result)

"""The Traces section: every stored trace, newest first, filtered, paged, and updated live.

The screen composes the section and wires its keys; reading and polling the store is in
``traces_loading``, the filters in ``traces_filters`` and the Charts tab in ``traces_charts_tab``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select, Static, TabbedContent, TabPane

from workbench.tui.screens.traces_charts_tab import CHARTS_SECONDS, TracesChartsTab
from workbench.tui.screens.traces_filters import SEARCH_DELAY, TracesFilters
from workbench.tui.screens.traces_loading import PAGE
from workbench.tui.widgets.steady_footer import SteadyFooter
from workbench.tui.widgets.trace_list import TraceList

__all__ = ["CHARTS_SECONDS", "PAGE", "POLL_SECONDS", "SEARCH_DELAY", "TracesScreen"]

# New traces must show within a second; polling twice as often leaves room for the query.
POLL_SECONDS = 0.4
# The second filter row is filled after the first page, or after this long at the latest.
MORE_FILTERS_LATEST = 1.0


class TracesScreen(TracesFilters, TracesChartsTab):
    """Traces newest first; enter opens one; filters narrow the list; new traces appear live.

    A second tab charts the traces the project and time-range filters allow.
    """

    SUB_TITLE = "Traces"
    MAIN_WIDGET = "#traces"
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("f", "focus_filters", "Filters"),
        Binding("escape", "clear_filters", "Clear filters", show=False),
        Binding("r", "reload", "Refresh"),
        Binding("s", "open_session", "Session"),
        Binding("c", "toggle_charts", "Charts/list"),
        Binding("b", "chart_split", "By model/variant"),
    ]
    DEFAULT_CSS = """
    TracesScreen {
        & #traces-filters-more { height: 1; padding: 0 1; }
        & #traces-filters-more > Select, & #traces-filters-more > Input {
            width: 1fr; margin-right: 1;
        }
        & #traces-tabs, & #traces-tabs > ContentSwitcher, & TabPane { height: 1fr; }
        & TabPane { padding: 0; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="traces-filters"):
            yield Input(placeholder="Search name, project or trace id", id="filter-search")
            yield Select[str]([], prompt="Any project", id="filter-project")
            yield Select[str](
                [("ok", "ok"), ("error", "error")], prompt="Any status", id="filter-status"
            )
            yield Input(placeholder="Model contains…", id="filter-model")
        # Its row is laid out now and filled once the first page shows (_fill_more_filters):
        # three more Select/Input widgets at compose cost the first page ~100-200 ms.
        yield Horizontal(id="traces-filters-more")
        with TabbedContent(id="traces-tabs"):
            with TabPane("List", id="tab-list"):
                yield Static(id="traces-header")
                yield TraceList(id="traces")
            # The charts (and plotext) load on the tab's first visit, not with the list.
            yield TabPane("Charts", id="tab-charts")
        yield Static("Loading traces…", id="traces-status")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one(TraceList).focus()
        self.start()
        self.set_interval(POLL_SECONDS, self._poll_tick)
        self.set_interval(POLL_SECONDS, self._charts_tick)
        # Should the first page never come (a broken store), the filters still appear.
        self.set_timer(MORE_FILTERS_LATEST, self._fill_more_filters)

    def on_resize(self) -> None:
        self._draw_header()

    @on(TraceList.WidthChanged)
    def _draw_header(self) -> None:
        # Drawn at the rows' own width, so a scrollbar showing up keeps the columns aligned.
        width = self.query_one(TraceList).row_width or self.size.width
        self.query_one("#traces-header", Static).update(TraceList.header(width))

    @on(TraceList.Selected)
    def _open(self, event: TraceList.Selected) -> None:
        summary = self.query_one(TraceList).current
        if summary is None or self.reader is None:
            return
        from workbench.tui.screens.trace_view import TraceViewScreen

        # One view, composed on first use and reused: composing a screen costs more
        # than reading a 10,000-span trace.
        if self._view is None:
            self._view = TraceViewScreen(summary.trace_id, self.reader)
            # Installed, so popping it keeps it mounted for the next trace.
            self.app.install_screen(self._view, name=f"trace-view-{id(self)}")
        else:
            self._view.open(summary.trace_id)
        self.app.push_screen(self._view)

    def action_reload(self) -> None:
        """Read the traces again."""
        self.reload()
        self._charts_due, self._charted = 0.0, None

    def action_open_session(self) -> None:
        """Open the conversation the highlighted trace belongs to, all its turns in order."""
        summary = self.query_one(TraceList).current
        if summary is None or self.reader is None:
            return
        if not summary.session_id:
            self.notify("This trace has no session id.", severity="warning")
            return
        from workbench.tui.screens.session import SessionScreen

        self.app.push_screen(SessionScreen(self.reader, summary.session_id, summary.project))

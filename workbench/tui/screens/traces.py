"""The Traces section: every stored trace, newest first, filtered, paged, and updated live."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Header, Input, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from workbench.core import live
from workbench.core.live import TraceFilter, TraceReader
from workbench.core.timerange import PRESETS
from workbench.core.trace_charts import TraceSeries
from workbench.core.tracemodels import TraceSummary
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.steady_footer import SteadyFooter
from workbench.tui.widgets.trace_list import TraceList, merge_page

if TYPE_CHECKING:
    from workbench.tui.screens.trace_view import TraceViewScreen
    from workbench.tui.widgets.trace_charts import TraceCharts

PAGE = 100
# New traces must show within a second; polling twice as often leaves room for the query.
POLL_SECONDS = 0.4
SEARCH_DELAY = 0.25
# The second filter row is filled after the first page, or after this long at the latest.
MORE_FILTERS_LATEST = 1.0
# While the Charts tab shows, its series are read again at most this often as traces arrive.
CHARTS_SECONDS = 2.0


_READS = ("traces-start", "traces-page", "traces-more")


class TracesScreen(SectionScreen):
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

    def __init__(self) -> None:
        super().__init__()
        self.reader: TraceReader | None = None
        self.filters = TraceFilter()
        self._generation = 0
        self._since = 0
        self._polling = False
        self._search_timer: Timer | None = None
        self.collector_status = ""
        self.forward_status = ""
        self._projects: set[str] = set()
        self._variants: list[str] = []
        self._more_filled = False
        self._tab = "tab-list"
        self._view: TraceViewScreen | None = None
        self._charting = False
        self._charts_due = 0.0
        # The filters and newest change the charts were read for: read again only on news.
        self._charted: tuple[TraceFilter, int] | None = None

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

    async def _fill_more_filters(self) -> None:
        """Mount the time-range, variant and session filters into their (empty) row, once."""
        row = self.query_one("#traces-filters-more", Horizontal)
        if row.children:
            return
        await row.mount_all(
            [
                Select[int](
                    [(label, seconds) for label, seconds in PRESETS],
                    prompt="Any time",
                    id="filter-time",
                    compact=True,
                ),
                Select[str](
                    [(name, name) for name in self._variants],
                    prompt="Any variant",
                    id="filter-variant",
                    compact=True,
                ),
                Input(placeholder="Session id…", id="filter-session", compact=True),
            ]
        )
        # A Select takes options only once composed: variants read meanwhile are listed now.
        self._more_filled = True
        self._set_variants(self._variants)

    def on_resize(self) -> None:
        width = self.query_one(TraceList).scrollable_content_region.width or self.size.width
        self.query_one("#traces-header", Static).update(TraceList.header(width))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A page that cannot be read (the database locked past its timeout, a broken file)
        # is said in the status line, not left as an empty list.
        if event.state is WorkerState.ERROR and event.worker.group in _READS:
            status = f"could not read the traces: {event.worker.error}"
            self.query_one("#traces-status", Static).update(status)

    @work(thread=True, exclusive=True, exit_on_error=False, group="traces-start")
    def start(self) -> None:
        """Open the reader and the collector, then load the first page and the project names."""
        if self.reader is None:
            self.reader = TraceReader()
        try:
            self.collector_status = live.ensure_local_collector()
        except Exception as error:  # the list still works without a collector
            self.collector_status = f"no collector: {error}"
        self._since = self.reader.latest_change()
        # The page first: each call_from_thread waits for the main thread, which is busy
        # laying out the new screen, and the rows are what the user came for.
        self._load_first_page()
        projects = self.reader.projects()
        variants = self.reader.variants()
        self.app.call_from_thread(self._set_choices, projects, variants)

    def _set_choices(self, projects: list[str], variants: list[str]) -> None:
        self._set_projects(projects)
        self._set_variants(variants)

    def _set_variants(self, variants: list[str]) -> None:
        self._variants = variants
        if not self._more_filled:  # _fill_more_filters lists them
            return
        select = self.query_one("#filter-variant", Select)
        if not select.children:  # not composed (the app quit while the row mounted)
            return
        value = select.value
        select.set_options((name, name) for name in variants)
        if value in variants:
            select.value = value

    def _set_projects(self, projects: list[str]) -> None:
        self._projects = set(projects)
        select = self.query_one("#filter-project", Select)
        value = select.value
        select.set_options((name, name) for name in projects)
        if value in projects:
            select.value = value

    def _load_first_page(self) -> None:
        assert self.reader is not None
        generation = self._generation
        rows = self.reader.page(self.filters, limit=PAGE)
        self.app.call_from_thread(self._show_first_page, generation, rows)

    def _show_first_page(self, generation: int, rows: list[TraceSummary]) -> None:
        if generation != self._generation:
            return
        self.query_one(TraceList).set_rows(rows, has_more=len(rows) == PAGE)
        self._update_status()
        self.call_after_refresh(self._fill_more_filters)

    def _update_status(self) -> None:
        trace_list = self.query_one(TraceList)
        count = f"{len(trace_list.rows)}{'+' if trace_list.has_more else ''} traces"
        if not trace_list.rows:
            count = "no traces match" if self._filtered else "no traces yet"
        parts = [count, self.collector_status, self.forward_status, "live"]
        self.query_one("#traces-status", Static).update(" · ".join(p for p in parts if p))

    @property
    def _filtered(self) -> bool:
        return any(self.filters.model_dump().values())

    def reload(self) -> None:
        """Load the first page again with the current filters."""
        self._generation += 1
        self._reload_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="traces-page")
    def _reload_worker(self) -> None:
        if self.reader is not None:
            self._load_first_page()

    @on(TraceList.NeedMore)
    def _need_more(self, event: TraceList.NeedMore) -> None:
        self._load_more(self._generation, event.before)

    @work(thread=True, exclusive=True, exit_on_error=False, group="traces-more")
    def _load_more(self, generation: int, before: tuple[int, str]) -> None:
        if self.reader is None:
            return
        rows = self.reader.page(self.filters, before=before, limit=PAGE)
        self.app.call_from_thread(self._append, generation, before, rows)

    def _append(self, generation: int, before: tuple[int, str], rows: list[TraceSummary]) -> None:
        trace_list = self.query_one(TraceList)
        if generation != self._generation or not trace_list.rows:
            return
        if trace_list.rows[-1].cursor != before:
            return  # the list changed under this page; the next NeedMore asks again
        trace_list.append(rows, has_more=len(rows) == PAGE)
        self._update_status()

    def _poll_tick(self) -> None:
        # A poll still running makes this tick a no-op: updates replace one another, never queue.
        if self._polling or self.reader is None:
            return
        self._polling = True
        trace_list = self.query_one(TraceList)
        self._poll(self._generation, self._since, list(trace_list.rows), trace_list.has_more)

    @work(thread=True, exclusive=False, exit_on_error=False, group="traces-poll")
    def _poll(self, generation: int, since: int, rows: list[TraceSummary], has_more: bool) -> None:
        try:
            assert self.reader is not None
            forward = live.forward_status()
            if forward != self.forward_status:
                self.forward_status = forward
                self.app.call_from_thread(self._update_status)
            changes = self.reader.changes(since)
            if not changes:
                return
            newest = max(change.updated_ns for change in changes)
            page = self.reader.page(self.filters, limit=PAGE)
            merged, more = merge_page(page, rows, changes, self.filters, PAGE, has_more)
            new_projects = {c.project for c in changes}
            projects = self.reader.projects() if new_projects - self._projects else None
            self.app.call_from_thread(self._apply_poll, generation, newest, merged, more, projects)
        finally:
            self._polling = False

    def _apply_poll(
        self,
        generation: int,
        newest: int,
        rows: list[TraceSummary],
        has_more: bool,
        projects: list[str] | None,
    ) -> None:
        self._since = max(self._since, newest)
        if projects is not None:
            self._set_projects(projects)
        if generation != self._generation:
            return
        self.query_one(TraceList).replace(rows, has_more)
        self._update_status()

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

    @on(Input.Changed, "#filter-search, #filter-model, #filter-session")
    def _typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_filters)

    @on(Input.Submitted, "#filter-search, #filter-model, #filter-session")
    def _submitted(self) -> None:
        self._apply_filters()
        self.query_one(TraceList).focus()

    @on(Select.Changed)
    def _selected(self) -> None:
        self._apply_filters()

    def _apply_filters(self) -> None:
        # The second row's filters may not be mounted yet: then they filter nothing.
        def text(selector: str) -> str | None:
            field = next(iter(self.query(selector).results(Input)), None)
            return (field.value.strip() or None) if field is not None else None

        def choice(selector: str) -> str | None:
            select = next(iter(self.query(selector).results(Select)), None)
            value = Select.NULL if select is None else select.value
            return None if value is Select.NULL else str(value)

        since = choice("#filter-time")
        filters = TraceFilter(
            project=choice("#filter-project"),
            status=choice("#filter-status"),
            model=text("#filter-model"),
            search=text("#filter-search"),
            variant=choice("#filter-variant"),
            session=text("#filter-session"),
            since_ns=time.time_ns() - int(since) * 10**9 if since else None,
        )
        if filters != self.filters:
            self.filters = filters
            self.reload()
            self._charts_due = 0.0

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#filter-search", Input).focus()

    def action_focus_filters(self) -> None:
        """Put the cursor in the project filter."""
        self.query_one("#filter-project", Select).focus()

    def action_clear_filters(self) -> None:
        """Clear every filter and go back to the list."""
        for field in self.query("#filter-search, #filter-model, #filter-session").results(Input):
            field.value = ""
        selects = "#filter-project, #filter-status, #filter-variant, #filter-time"
        for select in self.query(selects).results(Select):
            select.clear()
        self.query_one(TraceList).focus()
        self._apply_filters()

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

    def on_unmount(self) -> None:
        if self.reader is not None:
            self.reader.close()

"""The Traces section's reading: the first page, older pages, and the poll for new traces.

``TracesLoading`` is the base of ``TracesScreen``: it holds the section's state and the
workers that read the store, and merges new traces into the list as they arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from workbench.core import live
from workbench.core.live import TraceFilter, TraceReader
from workbench.core.tracemodels import TraceSummary
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.trace_list import TraceList, merge_page

if TYPE_CHECKING:
    from workbench.tui.screens.trace_view import TraceViewScreen

PAGE = 100

_READS = ("traces-start", "traces-page", "traces-more")


class TracesLoading(SectionScreen):
    """The Traces section's state, and the workers that page and poll the traces."""

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

    def _set_choices(self, projects: list[str], variants: list[str]) -> None:
        """List the projects and variants in the filters (``TracesFilters`` does)."""

    def _set_projects(self, projects: list[str]) -> None:
        """List the projects in the project filter (``TracesFilters`` does)."""

    async def _fill_more_filters(self) -> None:
        """Mount the second filter row (``TracesFilters`` does)."""

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
        shown = len(trace_list.rows)
        noun = "trace" if shown == 1 and not trace_list.has_more else "traces"
        count = f"{shown}{'+' if trace_list.has_more else ''} {noun}"
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

    def on_unmount(self) -> None:
        if self.reader is not None:
            self.reader.close()

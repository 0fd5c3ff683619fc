"""The Traces section's filters: search, project, status, model, and a second row of
time range, variant and session, mounted once the first page shows."""

from __future__ import annotations

import time

from textual import on
from textual.containers import Horizontal
from textual.widgets import Input, Select

from workbench.core.live import TraceFilter
from workbench.core.timerange import PRESETS
from workbench.tui.screens.traces_loading import TracesLoading
from workbench.tui.widgets.trace_list import TraceList

SEARCH_DELAY = 0.25


class TracesFilters(TracesLoading):
    """The filter rows above the list; any change reads the first page again."""

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

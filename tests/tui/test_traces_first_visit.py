"""The first visit to Traces: it says it is loading at once, the first page comes before the
filter choices, and the second filter row is filled once the first page shows."""

from __future__ import annotations

import threading

from textual.widgets import Select, Static

from tests.tui.conftest import settle
from tests.tui.test_traces_glance import SIZES, stored  # noqa: F401 (a fixture)
from workbench.core.live import TraceReader
from workbench.tui.app import create_app
from workbench.tui.screens import traces as traces_screen
from workbench.tui.widgets.trace_list import TraceList


async def test_loading_shows_at_once_and_the_page_comes_before_the_choices(stored, monkeypatch):  # noqa: F811
    calls: list[str] = []
    release = threading.Event()
    page, projects = TraceReader.page, TraceReader.projects

    def held_page(self, *args, **kwargs):
        calls.append("page")
        release.wait(30)
        return page(self, *args, **kwargs)

    def noted_projects(self):
        calls.append("projects")
        return projects(self)

    monkeypatch.setattr(TraceReader, "page", held_page)
    monkeypatch.setattr(TraceReader, "projects", noted_projects)
    # The row's fallback (filled anyway after a while) is not what this test is about.
    monkeypatch.setattr(traces_screen, "MORE_FILTERS_LATEST", 600.0)
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.press("3")
        for _ in range(5):
            await pilot.pause()
        screen = app.screen
        status = screen.query_one("#traces-status", Static)
        assert str(status.render()) == "Loading traces…"
        assert screen.query_one(TraceList).row_count == 0
        # The rows are what the user came for: nothing else is read before them.
        assert calls == ["page"]
        assert not screen.query_one("#traces-filters-more").children
        release.set()
        await settle(pilot)
        await settle(pilot)
        assert calls[:2] == ["page", "projects"]
        assert screen.query_one(TraceList).row_count == 14
        assert "traces" in str(status.render())
        variant = screen.query_one("#filter-variant", Select)
        assert [value for _, value in variant._options[1:]] == ["baseline", "concise"]
        assert screen.query_one("#filter-time", Select).value is Select.NULL

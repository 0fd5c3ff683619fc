"""The trace list's header stays over its columns when the list grows a scrollbar, at every
size, and the last column is not cut by it."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.conftest import settle
from tests.tui.tracedata import seed_traces
from workbench.core import live
from workbench.tui.app import create_app
from workbench.tui.widgets.trace_list import TraceList

SIZES = {"200x50": (200, 50), "100x30": (100, 30), "80x24": (80, 24)}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_the_header_lines_up_with_rows_that_scroll(projects_dir, monkeypatch, size):
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    seed_traces(60)  # more rows than fit: the list shows a scrollbar
    app = create_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        traces = app.screen.query_one(TraceList)
        await settle(pilot)
        assert traces.row_count > traces.scrollable_content_region.height  # it scrolls
        header = str(app.screen.query_one("#traces-header", Static).render())
        row = traces.render_row(0, traces.row_width).plain
        assert len(row.rstrip()) <= traces.scrollable_content_region.width
        # Every title starts where its column's cells start: the same columns, same widths.
        titles = [
            title for title in ("Started", "Status", "Name", "Duration", "Cost") if title in header
        ]
        assert "Status" in titles and "Name" in titles
        assert ("Cost" in titles) == (size[0] >= 100)  # at 80 columns it gives way first
        status_at = header.index("Status")
        assert row[status_at:].startswith(("ok", "error"))
        if "Started" in titles:
            assert header.index("Started") == 0 and row[:4].isdigit()
        else:
            assert status_at == 0
        if "Cost" in titles:  # the cost is whole, right-aligned under its title
            cost_end = header.index("Cost") + len("Cost")
            assert row[cost_end - 1] != " " and row[:cost_end].split()[-1].startswith("$")
            assert row[cost_end:].strip() == "" or row[cost_end] == " "
        # Nothing to scroll sideways: the rows fit the list.
        assert traces.max_scroll_x == 0

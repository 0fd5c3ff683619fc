"""The Traces section: snapshots of the list and the trace view; Pilot tests of navigation,
filters, paging and live updates."""

from __future__ import annotations

import time

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.tui.conftest import settle
from tests.tui.tracedata import MS, T0, ids, seed_traces, store_spans, support_turn, wait_for
from workbench.core import live
from workbench.tui.app import create_app
from workbench.tui.screens import traces as traces_screen
from workbench.tui.screens import traces_loading
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.screens.traces import TracesScreen
from workbench.tui.widgets.span_detail import SpanDetail
from workbench.tui.widgets.trace_list import TraceList
from workbench.tui.widgets.waterfall import Waterfall

SIZE = (130, 30)


@pytest.fixture
def stored(projects_dir, monkeypatch) -> list[str]:
    """Twelve traces a minute apart from 09:31 UTC, newest last; no collector is started."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(live, "_collector_address", "collector on http://127.0.0.1:4318")
    yield seed_traces(12)
    monkeypatch.delenv("TZ")
    time.tzset()


async def open_traces(pilot: Pilot) -> TraceList:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    return pilot.app.screen.query_one(TraceList)


class TestTracesSnapshots:
    """The Traces section over twelve stored traces."""

    def test_the_list(self, snap_compare, stored):
        """Filters (search, Any project, Any status, model); column titles; twelve rows from
        09:42 down to 09:31, the 09:40 and 09:35 ones in red with status error; billing-bot
        every third row; the cursor on the first; '12 traces · collector on … · live'."""

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=open_traces)

    def test_the_trace_view(self, snap_compare, stored):
        """The 09:40 trace (error): its title in red; the waterfall with invoke_agent support,
        guardrail pii, two chat spans and two execute_tool spans indented under it, bars to
        scale, check_return_eligibility in red; the cursor on execute_tool lookup_order and its
        detail: arguments {"order_id": "12345"} and result {"status": "delivered"}."""

        async def run_before(pilot: Pilot) -> None:
            await open_traces(pilot)
            await pilot.press("down", "down", "enter")
            await settle(pilot)
            await pilot.press("down", "down", "down")
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)


async def test_enter_opens_a_trace_and_arrows_move_between_spans(stored):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        trace_list = await open_traces(pilot)
        assert [row.trace_id for row in trace_list.rows] == stored[::-1]
        await pilot.press("down", "down", "down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TraceViewScreen)
        assert app.screen.trace_id == stored[-5]
        waterfall = app.screen.query_one(Waterfall)
        names = [span.name for span in waterfall.spans]
        assert names[0] == "invoke_agent support" and len(names) == 6
        await pilot.press("down", "down", "down")
        await settle(pilot)
        assert waterfall.current.name == "execute_tool lookup_order"
        detail = str(app.screen.query_one("#span-detail-body").render())
        assert '"order_id": "12345"' in detail and '"status": "delivered"' in detail
        await pilot.press("up")
        await settle(pilot)
        detail = str(app.screen.query_one("#span-detail-body").render())
        assert "Messages in" in detail and "Help me return order 12345" in detail
        await pilot.press("home", "left")  # collapse the root: one row left
        await settle(pilot)
        assert [span.name for span in waterfall.spans] == ["invoke_agent support"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TracesScreen)
        await pilot.press("up", "enter")  # the same view, reused, on another trace
        await settle(pilot)
        assert app.screen.trace_id == stored[-4]
        assert len(app.screen.query_one(Waterfall).spans) == 6


async def test_an_error_span_shows_its_message_in_the_detail(stored):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_traces(pilot)
        await pilot.press("down", "down", "enter")  # 09:40, an error trace
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        span = app.screen.query_one(Waterfall).current
        assert span.name == "execute_tool check_return_eligibility" and span.status == "error"
        detail = str(app.screen.query_one(SpanDetail).query_one("#span-detail-body").render())
        assert "Error" in detail and "eligibility service unavailable" in detail


async def test_filters_narrow_the_list(stored):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        trace_list = await open_traces(pilot)
        screen = app.screen
        screen.query_one("#filter-status", Select).value = "error"
        await settle(pilot)
        assert [row.status for row in trace_list.rows] == ["error", "error"]
        screen.query_one("#filter-project", Select).value = "billing-bot"
        await settle(pilot)
        assert trace_list.rows == []  # billing-bot's traces are all ok
        screen.query_one("#filter-status", Select).clear()
        await settle(pilot)
        assert [row.trace_id for row in trace_list.rows] == [stored[n] for n in (11, 8, 5, 2)]
        await pilot.press("escape")  # clear every filter
        await settle(pilot)
        assert len(trace_list.rows) == 12
        await pilot.press("slash", *"refund", "enter")
        await settle(pilot)
        assert trace_list.rows == [] and trace_list.has_focus
        search = screen.query_one("#filter-search", Input)
        search.value = "billing"  # typing applies after a short pause, without enter
        await pilot.pause(traces_screen.SEARCH_DELAY + 0.1)
        await settle(pilot)
        assert [row.project for row in trace_list.rows] == ["billing-bot"] * 4
        search.value = stored[4]  # a whole trace id
        await pilot.pause(traces_screen.SEARCH_DELAY + 0.1)
        await settle(pilot)
        assert [row.trace_id for row in trace_list.rows] == [stored[4]]


async def test_the_list_pages_with_keyset_cursors_until_the_view_is_full(stored, monkeypatch):
    monkeypatch.setattr(traces_loading, "PAGE", 5)  # the page size its reads use
    asked: list[tuple | None] = []
    page = live.TraceReader.page

    def recording(self, filters, *, before=None, limit=100):
        asked.append(before)
        return page(self, filters, before=before, limit=limit)

    monkeypatch.setattr(live.TraceReader, "page", recording)
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        trace_list = await open_traces(pilot)
        await settle(pilot)
        assert [row.trace_id for row in trace_list.rows] == stored[::-1]
        assert not trace_list.has_more
        # 5 + 5 + 2: each page starts after the last row of the one before.
        assert asked == [None, (T0 + 8 * 60_000 * MS, stored[7]), (T0 + 3 * 60_000 * MS, stored[2])]


async def test_new_traces_appear_without_a_key_press(stored):
    """The screen polls the store: a trace stored after it opened shows on top (no wall-clock
    bound here: the poll interval is POLL_SECONDS, and a loaded CI machine stretches it)."""
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        trace_list = await open_traces(pilot)
        store_spans(support_turn(50, start_ns=T0 + 3_600_000 * MS), "triage")
        await wait_for(pilot, lambda: trace_list.rows[0].trace_id == ids(50)[0].hex())
        assert len(trace_list.rows) == 13 and trace_list.cursor == 0
        # A new project shows up in the project filter too.
        options = app.screen.query_one("#filter-project", Select)
        await wait_for(pilot, lambda: "triage" in {str(v) for _, v in options._options})


async def test_a_trace_that_grows_updates_in_place_and_the_cursor_stays(stored):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        trace_list = await open_traces(pilot)
        await pilot.press("down", "down")
        spans = support_turn(60, start_ns=T0 + 3_600_000 * MS)
        store_spans(spans[1:3])  # the root comes later: a trace still in flight
        await wait_for(pilot, lambda: trace_list.rows[0].trace_id == ids(60)[0].hex())
        assert trace_list.current.trace_id == stored[-3]  # still the row it was on
        assert trace_list.rows[0].span_count == 2
        store_spans([spans[0], *spans[3:]])
        await wait_for(pilot, lambda: trace_list.rows[0].span_count == 6)
        assert trace_list.rows[0].name == "invoke_agent support"
        assert trace_list.current.trace_id == stored[-3]

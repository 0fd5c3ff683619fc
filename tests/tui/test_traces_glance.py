"""The Traces section at a glance: previews, duration bars, the new filters, the session view
and the Charts tab, as snapshots at 200×50 and 100×30 and as Pilot tests."""

from __future__ import annotations

import time

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, TabbedContent

from tests.tui.conftest import settle
from tests.tui.tracedata import MS, T0, ids, seed_traces, store_spans, support_turn
from workbench.core import live
from workbench.tui.app import create_app
from workbench.tui.screens import traces as traces_screen
from workbench.tui.screens.session import SessionScreen
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.widgets.trace_charts import TraceCharts
from workbench.tui.widgets.trace_list import TraceList

SIZES = {"wide": (200, 50), "narrow": (100, 30)}


@pytest.fixture
def stored(projects_dir, monkeypatch) -> list[str]:
    """Twelve turns of session-1 a minute apart from 09:31 UTC, plus two turns of session-2
    (variant concise) at 09:50 and 09:52; no collector is started."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(live, "_collector_address", "collector on http://127.0.0.1:4318")
    trace_ids = seed_traces(12)
    for n, minute in ((20, 20), (21, 22)):
        spans = support_turn(n, start_ns=T0 + minute * 60_000 * MS, session="session-2")
        for span in spans:
            for attribute in span.attributes:
                if attribute.key == "workbench.variant":
                    attribute.value.string_value = "concise"
        store_spans(spans)
        trace_ids.append(ids(n)[0].hex())
    yield trace_ids
    monkeypatch.delenv("TZ")
    time.tzset()


async def open_traces(pilot: Pilot) -> TraceList:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    return pilot.app.screen.query_one(TraceList)


async def open_charts(pilot: Pilot) -> None:
    await open_traces(pilot)
    await pilot.press("c")
    await settle(pilot)


async def open_session(pilot: Pilot) -> None:
    await open_traces(pilot)
    await pilot.press("s")
    await settle(pilot)


class TestTracesAtAGlance:
    """The list, the Charts tab and the session view, wide and narrow."""

    @pytest.mark.parametrize("size", SIZES)
    def test_the_list(self, snap_compare, stored, size):
        """Two filter rows (search, project, status, model; time, variant, session); List and
        Charts tabs; rows with 'Help me return order 12345 → –', a duration bar each; at 200
        wide also project, session, spans, tokens and model; at 100 wide the low-value columns
        are gone and the preview still shows."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=open_traces)

    @pytest.mark.parametrize("size", SIZES)
    def test_the_charts(self, snap_compare, stored, size):
        """'14 traces · one point per 1 min'; latency distribution, p50/p95 over time, error
        rate (bars at 09:35 and 09:40), cost and tokens by model (one line, gpt-4o-mini), traces
        over time; two columns at 200 wide, one scrolling column at 100 wide."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=open_charts)

    @pytest.mark.parametrize("size", SIZES)
    def test_the_session(self, snap_compare, stored, size):
        """Session session-2: 2 turns, 1.80 s, the cost; #1 at 09:50 and #2 at 09:52, each
        with its figures, 'user  Help me return order 12345' and 'agent (output not
        recorded)'; the cursor on the first turn."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=open_session)


async def test_variant_session_and_time_filters_exclude_rows(stored):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        trace_list = await open_traces(pilot)
        screen = app.screen
        assert len(trace_list.rows) == 14
        variant = screen.query_one("#filter-variant", Select)
        assert [value for _, value in variant._options[1:]] == ["baseline", "concise"]
        variant.value = "concise"
        await settle(pilot)
        assert [row.trace_id for row in trace_list.rows] == [stored[13], stored[12]]
        variant.clear()
        screen.query_one("#filter-session", Input).value = "session-1"
        await pilot.pause(traces_screen.SEARCH_DELAY + 0.1)
        await settle(pilot)
        assert len(trace_list.rows) == 12
        assert {row.session_id for row in trace_list.rows} == {"session-1"}
        # Every stored trace started in January 2026: none in the last hour.
        screen.query_one("#filter-time", Select).value = 3600
        await settle(pilot)
        assert trace_list.rows == []
        trace_list.focus()
        await pilot.press("escape")  # clears every filter, the new ones too
        await settle(pilot)
        assert len(trace_list.rows) == 14
        assert screen.query_one("#filter-time", Select).value is Select.NULL


async def test_rows_carry_previews_and_bars(stored):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        trace_list = await open_traces(pilot)
        assert trace_list.rows[0].input == "Help me return order 12345"
        line = trace_list.render_row(0, 200).plain
        assert "Help me return order 12345 → –" in line and "900 ms ████████" in line


async def test_s_opens_the_session_oldest_turn_first_and_enter_opens_its_trace(stored):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await open_session(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.session_id == "session-2"
        assert [t.summary.trace_id for t in screen.turns] == [stored[12], stored[13]]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TraceViewScreen) and app.screen.trace_id == stored[12]
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one(TraceList).has_focus


async def test_the_charts_tab_reads_the_filtered_series_and_b_splits_by_variant(stored):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await open_charts(pilot)
        charts = app.screen.query_one(TraceCharts)
        assert app.screen.query_one(TabbedContent).active == "tab-charts"
        # Each tab's own keys: b on the charts, s (session) on the list.
        assert app.screen.check_action("chart_split", ()) is True
        assert app.screen.check_action("open_session", ()) is False
        assert charts.series is not None and charts.series.traces == 14
        assert sum(bucket.errors for bucket in charts.series.buckets) == 2
        await pilot.press("b")
        await settle(pilot)
        assert charts.by == "variant"
        app.screen.query_one("#filter-project", Select).value = "billing-bot"
        await settle(pilot)
        await pilot.pause(0.5)  # the next tick reads the series for the new filter
        await settle(pilot)
        assert charts.series.traces == 4
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one(TraceList).has_focus
        assert app.screen.check_action("chart_split", ()) is False


async def test_the_session_list_is_an_option_per_turn(stored):
    app = create_app()
    async with app.run_test(size=SIZES["narrow"]) as pilot:
        await open_session(pilot)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2  # one option a turn (separators are not options)

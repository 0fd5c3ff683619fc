"""An open trace fills in live: spans stored while it is shown appear without a key press."""

from __future__ import annotations

import time

from tests.tui.tracedata import ids, store_spans, support_turn, wait_for
from workbench.core.live import TraceReader
from workbench.tui.app import create_app
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.widgets.waterfall import Waterfall


async def test_spans_that_arrive_while_the_trace_is_open_are_shown() -> None:
    spans = support_turn(41, start_ns=time.time_ns(), session="live")
    # The turn is still running: its first spans (a guardrail and an LLM call) are stored.
    store_spans(spans[1:3])
    trace_id = ids(41)[0].hex()
    reader = TraceReader()
    app = create_app()
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.push_screen(TraceViewScreen(trace_id, reader))
            waterfall = app.screen.query_one(Waterfall)
            await wait_for(pilot, lambda: len(waterfall.spans) == 2, 10)
            store_spans([spans[0], *spans[3:]])  # the rest, the agent span last
            await wait_for(pilot, lambda: len(waterfall.spans) == len(spans), 10)
            assert waterfall.spans[0].name == "invoke_agent support"
            title = str(app.screen.query_one("#trace-title").render())
            assert f"{len(spans)} spans" in title
    finally:
        reader.close()


async def test_a_trace_opened_before_any_span_is_stored_appears_when_it_arrives() -> None:
    spans = support_turn(42, start_ns=time.time_ns(), session="early")
    trace_id = ids(42)[0].hex()
    reader = TraceReader()
    app = create_app()
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await app.push_screen(TraceViewScreen(trace_id, reader))
            title = app.screen.query_one("#trace-title")
            await wait_for(pilot, lambda: "not in the store" in str(title.render()), 10)
            store_spans(spans)
            await wait_for(pilot, lambda: len(app.screen.query_one(Waterfall).spans) == 6, 10)
    finally:
        reader.close()

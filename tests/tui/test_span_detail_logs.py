"""The trace view's span detail shows a span's logs, and the messages only its logs carry."""

from __future__ import annotations

from tests.core.test_messages_fixtures import deliver
from tests.tui.conftest import settle
from tests.tui.tracedata import wait_for
from workbench import locations
from workbench.core.collector import start_collector
from workbench.core.live import TraceReader
from workbench.core.telemetrymodels import LogRecord
from workbench.core.tracemodels import SpanRecord
from workbench.store.db import connect
from workbench.tui.app import create_app
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.widgets.span_detail import SpanDetail, severity_colour, span_markup


async def test_events_emitted_as_logs_show_on_their_span(projects_dir):
    # opentelemetry-instrumentation-openai-v2: no content on the spans, all of it in logs.
    with start_collector(db_path=locations.db_path()) as server:
        deliver(server.url, "genai-events")
    trace_id = connect().execute("SELECT trace_id FROM traces ORDER BY start_ns").fetchone()[0]
    app = create_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(TraceViewScreen(trace_id, TraceReader()))
        body = app.screen.query_one(SpanDetail).query_one("#span-detail-body")

        def shown() -> str:
            return str(body.render())

        await wait_for(pilot, lambda: "Logs (3)" in shown(), timeout=30)
        detail = shown()
    assert "gen_ai.user.message" in detail and "gen_ai.choice" in detail
    assert "Messages in" in detail and "What is the weather in Paris?" in detail
    assert '→ get_weather({"city": "Paris"})' in detail


def test_log_severities_take_their_colours():
    assert [severity_colour(n) for n in (9, 13, 16, 17, 21)] == [
        "$text-muted",
        "$text-warning",
        "$text-warning",
        "$text-error",
        "$text-error",
    ]
    span = SpanRecord(
        trace_id="a" * 32, span_id="b" * 16, name="s", start_ns=0, end_ns=0, duration_ms=0
    )
    warning = LogRecord(time_ns=1, severity_number=13, severity_text="WARNING", body="slow")
    assert "[$text-warning]WARNING[/]" in span_markup(span, [warning])

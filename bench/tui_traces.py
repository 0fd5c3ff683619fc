"""TUI speed: the trace list's first page over 1,000,000 traces, and a 10,000-span trace.

Seeds a temporary WORKBENCH_HOME (1,000,000 trace summaries written straight into
``traces``, plus one 10,000-span trace written through the collector's sink), then
drives the app headless (``App.run_test``) and times, from the key press to the
rows being on screen:

- switching to Traces until the first page is shown (cold: imports, reader, query);
- refreshing the list (``r``) until the first page is shown again (warm);
- opening the 10,000-span trace (enter) until its waterfall is shown: the first time
  (cold: the trace view's imports and first query), then again (warm).

Targets (issue 3, section 7): first page < 100 ms, 10,000-span trace < 500 ms.
Run: ``python bench/tui_traces.py [--traces N] [--spans N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script from anywhere: the repository's package comes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

T0 = 1_768_469_400_000_000_000
MS = 1_000_000


def seed_traces(count: int) -> None:
    """``count`` trace summaries, a second apart, in 5 projects, every 20th an error."""
    from workbench.store.db import connect

    db = connect()
    conn = db.conn
    models = ("gpt-4o-mini", "claude-3-5-haiku", "gpt-4o-mini,gpt-4o")
    projects = ("support-agent", "billing-bot", "triage", "search-agent", "docs-bot")
    batch = 50_000
    with conn:
        for first in range(0, count, batch):
            rows = [
                (
                    f"{n:032x}",
                    projects[n % 5],
                    "invoke_agent support",
                    T0 + n * 1000 * MS,
                    T0 + n * 1000 * MS + 900 * MS,
                    900.0,
                    "error" if n % 20 == 0 else "ok",
                    930,
                    95,
                    200,
                    0.000197,
                    6,
                    f"session-{n // 4}",
                    "baseline",
                    models[n % 3],
                    T0 + n * 1000 * MS,
                )
                for n in range(first, min(count, first + batch))
            ]
            conn.executemany(
                "INSERT INTO traces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
    conn.execute("ANALYZE")
    conn.close()


def seed_big_trace(spans: int, start_ns: int) -> str:
    """One trace of ``spans`` spans (an agent with nested LLM and tool calls), via the sink."""
    from workbench.core.collector.normalize import normalize_request
    from workbench.core.collector.sink import write_spans
    from workbench.core.collector.synthetic import make_request, make_span
    from workbench.store.db import connect

    rng = random.Random(7)
    trace_id = rng.randbytes(16)
    ids = [rng.randbytes(8) for _ in range(spans)]
    made = [
        make_span(
            trace_id,
            ids[0],
            "invoke_agent big",
            {"gen_ai.operation.name": "invoke_agent"},
            start_ns=start_ns,
            duration_ns=spans * 2 * MS,
        )
    ]
    for index in range(1, spans):
        # Mostly siblings under a few dozen steps, some nested a level deeper.
        parent = ids[0] if index % 50 == 1 else ids[index - (index % 50) + 1]
        tool = index % 2 == 0
        attributes = (
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": f"tool_{index % 7}",
                "gen_ai.tool.call.arguments": '{"id": 1}',
                "gen_ai.tool.call.result": '{"ok": 1}',
            }
            if tool
            else {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 300,
                "gen_ai.usage.output_tokens": 40,
                "workbench.cost_usd": 0.00006,
            }
        )
        made.append(
            make_span(
                trace_id,
                ids[index],
                f"{'execute_tool' if tool else 'chat'} {index}",
                attributes,
                parent_id=parent,
                start_ns=start_ns + index * 2 * MS,
                duration_ns=MS + (index % 5) * MS,
            )
        )
    rows = normalize_request(make_request(made, service="support-agent")).rows
    db = connect()
    with db.conn:
        write_spans(db, rows)
    db.conn.close()
    return trace_id.hex()


async def shown(widget_ready, timeout: float = 30.0) -> float:
    """Seconds until ``widget_ready()`` returns a list whose rows have been painted."""
    started = time.perf_counter()
    while True:
        widget = widget_ready()
        if widget is not None and widget.row_count and PAINTED.get(id(widget), 0) > started:
            return PAINTED[id(widget)] - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the screen did not get ready in time")
        await asyncio.sleep(POLL)


PAINTED: dict[int, float] = {}
POLL = float(os.environ.get("BENCH_POLL", "0.001"))


def record_paints() -> None:
    """Note when each list last painted a row, so 'shown' means on screen, not just loaded."""
    from workbench.tui.widgets.row_list import RowList

    render_line = RowList.render_line

    def timed(self, y):
        strip = render_line(self, y)
        if self.row_count:
            PAINTED[id(self)] = time.perf_counter()
        return strip

    RowList.render_line = timed


async def drive(big_trace: str, repeats: int) -> dict[str, list[float]]:
    """Time the three interactions in a headless app, from the action to the painted rows."""
    from workbench.core import live
    from workbench.core.live import gc_paused
    from workbench.tui.app import create_app
    from workbench.tui.screens.trace_view import TraceViewScreen
    from workbench.tui.widgets.trace_list import TraceList
    from workbench.tui.widgets.waterfall import Waterfall, span_order

    record_paints()
    live._collector_address = "collector not started (benchmark)"
    figures: dict[str, list[float]] = {
        "switch": [],
        "refresh": [],
        "open": [],
        "open_warm": [],
        "query": [],
        "read": [],
    }
    app = create_app()

    def trace_list():
        try:
            return app.screen.query_one(TraceList)
        except Exception:
            return None

    def waterfall():
        if isinstance(app.screen, TraceViewScreen):
            try:
                return app.screen.query_one(Waterfall)
            except Exception:  # pushed, not composed yet
                return None
        return None

    # Actions are run the way a key binding runs them; Pilot.press would add its own
    # waits for an idle CPU to every figure.
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        began = time.perf_counter()
        app.call_later(app.switch_mode, "traces")
        waited = await shown(trace_list)
        figures["switch"].append(waited)
        screen = app.screen
        for _ in range(repeats):
            await pilot.pause()
            app.call_later(screen.run_action, "reload")
            figures["refresh"].append(await shown(trace_list))
            began = time.perf_counter()
            screen.reader.page(screen.filters, limit=100)
            figures["query"].append(time.perf_counter() - began)
        rows = trace_list().rows
        assert rows[0].trace_id == big_trace, "the big trace should be newest"
        for attempt in range(repeats + 1):
            await pilot.pause()
            trace_list().cursor = 0
            app.call_later(trace_list().run_action, "select")
            figures["open" if attempt == 0 else "open_warm"].append(await shown(waterfall))
            figures["open_rows"] = [waterfall().row_count]
            await pilot.pause()
            app.pop_screen()
            await pilot.pause()
        for _ in range(repeats):
            began = time.perf_counter()
            outline = screen.reader.trace_outline(big_trace)
            with gc_paused():
                span_order(outline.spans)
            figures["read"].append(time.perf_counter() - began)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="wb-tui-bench-"))
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ["WORKBENCH_PROJECTS_DIR"] = str(home / "projects")
    began = time.perf_counter()
    seed_traces(args.traces)
    big = seed_big_trace(args.spans, T0 + (args.traces + 10) * 1000 * MS)
    print(
        f"seeded {args.traces:,} traces and a {args.spans:,}-span trace "
        f"in {time.perf_counter() - began:.1f} s ({home})"
    )
    figures = asyncio.run(drive(big, args.repeats))

    def ms(values: list[float]) -> str:
        return (
            f"median {statistics.median(values) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms (n={len(values)})"
        )

    rows = int(figures["open_rows"][0])
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"switch to Traces, first page shown (cold): {ms(figures['switch'])}")
    print(f"refresh, first page shown (warm):           {ms(figures['refresh'])}   target < 100 ms")
    print(f"first-page query alone:                     {ms(figures['query'])}")
    print(f"open the {rows:,}-row trace (cold):          {ms(figures['open'])}")
    print(
        f"open it again, waterfall shown (warm):      {ms(figures['open_warm'])}   target < 500 ms"
    )
    print(f"reading and ordering its spans alone:       {ms(figures['read'])}")
    ok = (
        statistics.median(figures["refresh"]) < 0.1
        and statistics.median(figures["open_warm"]) < 0.5
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

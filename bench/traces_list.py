"""Trace list benchmark: pages over 1,000,000 traces, and opening a 10,000-span trace.

Run: ``python bench/traces_list.py [--traces 1000000]``

Seeds a fresh database directly with executemany (summary rows for the list,
plus one trace of 10,000 spans written through the collector's own writer
function), then times ``list_traces`` (first page, filtered pages, a deep
keyset page) and ``get_trace`` on the big trace, each the median of several runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.core.collector.normalize import normalize_request  # noqa: E402
from workbench.core.collector.sink import write_spans  # noqa: E402
from workbench.core.collector.synthetic import agent_turn, make_request, make_span  # noqa: E402
from workbench.core.trace_charts import trace_series  # noqa: E402
from workbench.store.db import connect  # noqa: E402
from workbench.store.trace_browse import session_turns, trace_previews  # noqa: E402
from workbench.store.traces import get_trace, list_traces  # noqa: E402

PROJECTS = ("support-agent", "billing-bot", "research-agent", "triage", "sales-assistant")
NAMES = ("invoke_agent support", "invoke_agent billing", "invoke_agent research", "chat")
MODELS = ("gpt-4o-mini", "gpt-4o", "claude-haiku-4-5", "gpt-4o-mini,gpt-4o")


def seed_traces(db, count: int, rng: random.Random) -> None:
    start = time.time_ns() - count * 1_000_000_000
    rows = []
    for index in range(count):
        begin = start + index * 1_000_000_000 + rng.randrange(1_000_000)
        duration = rng.randrange(50, 5000)
        rows.append(
            (
                rng.randbytes(16).hex(),
                rng.choice(PROJECTS),
                rng.choice(NAMES),
                begin,
                begin + duration * 1_000_000,
                float(duration),
                "error" if rng.random() < 0.03 else "ok",
                rng.randrange(100, 5000),
                rng.randrange(10, 800),
                0,
                rng.random() / 100,
                rng.randrange(2, 12),
                f"session-{rng.randrange(10_000)}",
                rng.choice(("baseline", "concise")),
                rng.choice(MODELS),
                begin,
            )
        )
        if len(rows) == 100_000:
            _insert(db, rows)
            rows = []
    _insert(db, rows)


def _insert(db, rows) -> None:
    with db.conn:
        db.conn.executemany(f"INSERT INTO traces VALUES ({', '.join('?' * 16)})", rows)


def seed_big_trace(db, spans: int, rng: random.Random) -> str:
    trace = rng.randbytes(16)
    root = rng.randbytes(8)
    begin = time.time_ns()
    batch = [
        make_span(
            trace,
            root,
            "invoke_agent long",
            {"gen_ai.operation.name": "invoke_agent"},
            start_ns=begin,
            duration_ns=spans * 1_000_000,
        )
    ]
    for index in range(1, spans):
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 500,
            "gen_ai.usage.output_tokens": 50,
        }
        batch.append(
            make_span(
                trace,
                rng.randbytes(8),
                f"chat {index}",
                attributes,
                parent_id=root,
                start_ns=begin + index * 1_000_000,
            )
        )
    for offset in range(0, spans, 2000):
        request = make_request(batch[offset : offset + 2000], service="support-agent")
        with db.conn:
            write_spans(db, normalize_request(request).rows)
    return trace.hex()


def seed_turns(db, count: int, rng: random.Random) -> list[str]:
    """``count`` agent turns (agent, guardrail, two model calls, two tools) stored through
    the collector's writer, newest of all: what a page of previews reads."""
    begin = time.time_ns() + 10**9
    spans = []
    for index in range(count):
        spans += agent_turn(rng, start_ns=begin + index * 10**9)
    with db.conn:
        write_spans(db, normalize_request(make_request(spans, service="support-agent")).rows)
    return sorted({span.trace_id.hex() for span in spans})


def timed(function, runs: int = 7) -> float:
    """Median wall time in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def first_list_cli(home: Path) -> float:
    """Milliseconds for `workbench traces list` over this home, a fresh process (imports,
    settings, connection, first page, table), as a user meets it in a new terminal."""
    import subprocess

    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workbench", "traces", "list"],
        env=env,
        check=True,
        capture_output=True,
    )
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=1_000_000)
    parser.add_argument("--spans", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as folder:
        # The home's own database file, so `workbench traces list` below reads it.
        path = Path(folder) / "workbench.db"
        db = connect(path)
        started = time.perf_counter()
        seed_traces(db, args.traces, rng)
        big = seed_big_trace(db, args.spans, rng)
        turns = seed_turns(db, 50, rng)
        print(
            f"seeded {args.traces:,} traces + a {args.spans:,}-span trace "
            f"in {time.perf_counter() - started:.1f} s"
        )
        db.conn.close()
        cold_cli = first_list_cli(Path(folder))
        began = time.perf_counter()
        reader = connect(path)  # a fresh reader connection, as the TUI would use
        page = list_traces(reader, limit=50)
        cold = (time.perf_counter() - began) * 1000
        print(
            f"cold (load {os.getloadavg()[0]:.2f}): the first page on a fresh connection "
            f"(opening it and the migration check included) {cold:.1f} ms; "
            f"`workbench traces list` in a fresh process {cold_cli:.0f} ms"
        )
        deep = list_traces(reader, limit=50, before=(page[-1].start_ns - 500 * 10**12, "f" * 32))
        cases = {
            "list_traces first page (50)": lambda: list_traces(reader, limit=50),
            "list_traces next page (keyset)": lambda: list_traces(
                reader, limit=50, before=page[-1].cursor
            ),
            "list_traces deep page (keyset)": lambda: list_traces(
                reader, limit=50, before=deep[-1].cursor
            ),
            "list_traces project filter": lambda: list_traces(
                reader, project="billing-bot", limit=50
            ),
            "list_traces status=error": lambda: list_traces(reader, status="error", limit=50),
            "list_traces project+error": lambda: list_traces(
                reader, project="triage", status="error", limit=50
            ),
            "list_traces model filter": lambda: list_traces(reader, model="gpt-4o", limit=50),
            "list_traces model filter, no match": lambda: list_traces(
                reader, model="no-such-model", limit=50
            ),
            "  baseline: the same as a scan (instr)": lambda: reader.conn.execute(
                "SELECT trace_id FROM traces WHERE instr(models, ?) > 0 "
                "ORDER BY start_ns DESC, trace_id DESC LIMIT 50",
                ("no-such-model",),
            ).fetchall(),
            "list_traces model + project + error": lambda: list_traces(
                reader, model="claude", project="triage", status="error", limit=50
            ),
            "list_traces search 'billing'": lambda: list_traces(reader, search="billing", limit=50),
            "list_traces search, no match (full scan)": lambda: list_traces(
                reader, search="no-such-agent", limit=50
            ),
            "list_traces search trace-id prefix": lambda: list_traces(
                reader, search=big[:10], limit=50
            ),
            f"get_trace ({args.spans:,} spans)": lambda: get_trace(reader, big),
            "list_traces variant filter": lambda: list_traces(reader, variant="concise", limit=50),
            "list_traces session filter": lambda: list_traces(
                reader, session="session-42", limit=50
            ),
            "list_traces last hour (time range)": lambda: list_traces(
                reader, since_ns=page[0].start_ns - 3600 * 10**9, limit=50
            ),
            "list_traces variant + old time range": lambda: list_traces(
                reader, variant="baseline", until_ns=deep[-1].start_ns, limit=50
            ),
            "trace_previews, a page of 50 agent turns": lambda: trace_previews(reader, turns),
            f"  (the list skips it) previews of a {args.spans:,}-span trace": lambda: (
                trace_previews(reader, [big])
            ),
            "session_turns (one session)": lambda: session_turns(reader, "session-42"),
            "trace_series (charts, newest 10,000)": lambda: trace_series(reader),
        }
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, function in cases.items():
            print(f"{label:<40} {timed(function):8.1f} ms")
        reader.conn.close()


if __name__ == "__main__":
    main()

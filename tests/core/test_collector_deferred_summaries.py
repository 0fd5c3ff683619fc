"""Right after the collector acknowledges an export, with its trace summaries not refreshed yet,
every reader (one trace, the trace list, the spend and budget queries) sees what a
synchronous refresh would have stored; the refresh at shutdown then stores exactly that."""

from __future__ import annotations

import random

import httpx
import pytest

from workbench.core.collector.app import create_app
from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.core.serving import serve_in_thread
from workbench.store.db import connect
from workbench.store.summaries import pending_count
from workbench.store.traces import get_trace, list_traces, spend

PROTOBUF = {"Content-Type": "application/x-protobuf"}
# Long enough that no refresh runs while the test reads: only the one at shutdown.
NEVER = 3600.0


def _exports() -> list:
    """Three turns' exports; the second and third share a session, so a session's spend
    needs both (one refreshed trace and one pending would show half of it)."""
    rng = random.Random(7)
    turns = [
        agent_turn(rng, start_ns=1_700_000_000_000_000_000 + index * 10**9) for index in range(3)
    ]
    return [make_request(spans, service="support-agent") for spans in turns]


def _rounded(rows: list[dict]) -> list[dict]:
    """Costs to 12 digits: a sum over traces in another order differs in the last bits."""
    return [
        {key: round(value, 12) if isinstance(value, float) else value for key, value in row.items()}
        for row in rows
    ]


def _readers(db) -> dict:
    """What the trace list, one trace, and the budget's spend queries show."""
    page = list_traces(db, limit=50)
    shown = {
        "list": [summary.model_dump(exclude={"updated_ns"}) for summary in page],
        "one": [
            get_trace(db, summary.trace_id).model_dump(exclude={"updated_ns"}) for summary in page
        ],
        "by_session": [row.model_dump() for row in spend(db, group_by="session")],
        "by_variant": [row.model_dump() for row in spend(db, group_by="variant")],
        "by_day": [row.model_dump() for row in spend(db, group_by="day", since_ns=0)],
        "project": [
            row.model_dump() for row in spend(db, project="support-agent", group_by="model")
        ],
    }
    return {reader: _rounded(rows) for reader, rows in shown.items()}


@pytest.fixture
def deferred_collector(tmp_path):
    """A collector whose writer refreshes summaries only when it stops."""
    app = create_app(
        db_path=tmp_path / "collector.db", workers=0, summary_idle=NEVER, summary_lag=NEVER
    )
    server = serve_in_thread(app, name="deferred collector")
    try:
        yield server, tmp_path / "collector.db"
    finally:
        server.stop()


def test_readers_right_after_each_ack_see_the_deferred_summaries(deferred_collector, tmp_path):
    server, db_path = deferred_collector
    reference = connect(tmp_path / "reference.db")
    reader = connect(db_path)
    with httpx.Client(trust_env=False, timeout=30) as http:
        for request in _exports():
            response = http.post(
                f"{server.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
            )
            assert response.status_code == 200
            with reference.conn:  # the same spans, summaries refreshed in the write
                write_spans(reference, normalize_request(request).rows)
            # The refresh really is deferred: the readers below merge pending traces.
            assert pending_count(reader) >= 1
            assert _readers(reader) == _readers(reference)
    seen = _readers(reader)
    server.stop(timeout=120)  # the writer refreshes what it owes before it stops
    assert not server.thread.is_alive()
    assert pending_count(reader) == 0
    assert _readers(reader) == seen
    reader.conn.close()
    reference.conn.close()

"""Trace browsing: new list filters (variant, session, time range), previews, session turns."""

from __future__ import annotations

import pytest

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import make_request, make_span
from workbench.store.db import connect
from workbench.store.trace_browse import distinct_values, session_turns, trace_previews
from workbench.store.traces import list_traces

T0 = 1_768_469_400_000_000_000
MIN = 60 * 10**9


def _ids(n: int, span: int = 0) -> tuple[bytes, bytes]:
    return n.to_bytes(16, "big"), (n * 100 + span).to_bytes(8, "big")


def turn(n: int, *, session: str, variant: str, question: str, answer: str, at: int):
    """A root agent span and two model calls: the first asks, the last answers."""
    trace, root = _ids(n)
    common = {"gen_ai.conversation.id": session, "workbench.variant": variant}
    chat = {**common, "gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
    return [
        make_span(trace, root, "invoke_agent a", {**common}, start_ns=at, duration_ns=10**9),
        make_span(
            trace,
            _ids(n, 1)[1],
            "chat m",
            {
                **chat,
                "gen_ai.input.messages": (
                    '[{"role":"system","content":"be brief"},'
                    f'{{"role":"user","content":"{question}"}}]'
                ),
                "gen_ai.output.messages": '[{"role":"assistant","content":"thinking"}]',
            },
            parent_id=root,
            start_ns=at + 1000,
        ),
        make_span(
            trace,
            _ids(n, 2)[1],
            "chat m",
            {**chat, "gen_ai.output.messages": f'[{{"role":"assistant","content":"{answer}"}}]'},
            parent_id=root,
            start_ns=at + 2000,
        ),
    ]


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "t.db")
    spans = []
    spans += turn(1, session="s-1", variant="base", question="hi there", answer="hello", at=T0)
    spans += turn(2, session="s-2", variant="cand", question="where?", answer="here", at=T0 + MIN)
    spans += turn(
        3, session="s-1", variant="base", question="and then", answer="bye", at=T0 + 2 * MIN
    )
    with database.conn:
        write_spans(database, normalize_request(make_request(spans, service="shop")).rows)
    yield database
    database.conn.close()


def _listed(db, **filters) -> list[int]:
    return [int(row.trace_id, 16) for row in list_traces(db, **filters)]


def test_filters_by_variant_session_and_time_range_exclude_the_rest(db):
    assert _listed(db) == [3, 2, 1]
    assert _listed(db, variant="base") == [3, 1]
    assert _listed(db, variant="nope") == []
    assert _listed(db, session="s-2") == [2]
    assert _listed(db, since_ns=T0 + MIN) == [3, 2]
    assert _listed(db, until_ns=T0 + MIN) == [1]  # the bound itself is excluded
    assert _listed(db, since_ns=T0, until_ns=T0 + 2 * MIN, variant="base") == [1]


def test_filter_queries_seek_an_index(db):
    for column, value in (("variant", "base"), ("session_id", "s-1")):
        plan = " ".join(
            str(row[-1])
            for row in db.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT trace_id FROM traces WHERE {column} = ? "
                "ORDER BY start_ns DESC, trace_id DESC LIMIT 50",
                (value,),
            )
        )
        assert "USING" in plan and "INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_previews_take_the_last_user_message_and_the_last_reply(db):
    previews = trace_previews(db, [_ids(1)[0].hex(), _ids(2)[0].hex()])
    assert previews[_ids(1)[0].hex()].input == "hi there"
    assert previews[_ids(1)[0].hex()].output == "hello"  # the last call's, not the first's
    assert previews[_ids(2)[0].hex()].output == "here"
    assert trace_previews(db, []) == {}
    assert trace_previews(db, ["ab" * 16])["ab" * 16].input == ""


def test_session_turns_are_oldest_first_and_only_that_session(db):
    turns = session_turns(db, "s-1")
    assert [(t.input, t.output) for t in turns] == [("hi there", "hello"), ("and then", "bye")]
    assert session_turns(db, "s-1", project="other") == []
    assert [int(t.summary.trace_id, 16) for t in session_turns(db, "s-1", limit=1)] == [3]


def test_distinct_values(db):
    assert distinct_values(db, "variant") == ["base", "cand"]
    assert distinct_values(db, "session_id") == ["s-1", "s-2"]
    with pytest.raises(ValueError):
        distinct_values(db, "name")


def test_the_preview_cache_reads_only_new_or_changed_traces(db, monkeypatch):
    from workbench.store import trace_browse

    asked: list[list[str]] = []
    real = trace_browse.trace_previews

    def counting(database, trace_ids, **options):
        asked.append(list(trace_ids))
        return real(database, trace_ids, **options)

    monkeypatch.setattr(trace_browse, "trace_previews", counting)
    cache = trace_browse.PreviewCache()
    rows = list_traces(db)
    listed = cache.listed(db, rows)
    assert [row.input for row in listed] == ["and then", "where?", "hi there"]
    assert len(asked) == 1 and len(asked[0]) == 3
    cache.listed(db, rows)
    assert len(asked) == 1  # nothing changed: nothing read
    changed = rows[0].model_copy(update={"updated_ns": rows[0].updated_ns + 1})
    cache.listed(db, [changed, *rows[1:]])
    assert asked[-1] == [changed.trace_id]
    # A trace too big to preview cheaply gets an empty preview without reading its spans.
    big = changed.model_copy(update={"span_count": 50_000, "updated_ns": changed.updated_ns + 1})
    assert cache.listed(db, [big])[0].input == ""
    assert asked[-1] == []


def test_the_session_keeps_longer_messages_than_the_list(db):
    long_question = "why " * 100  # 400 characters: cut in the list, whole in the session
    spans = turn(9, session="s-9", variant="base", question=long_question, answer="ok", at=T0)
    with db.conn:
        write_spans(db, normalize_request(make_request(spans, service="shop")).rows)
    listed = trace_previews(db, [_ids(9)[0].hex()])[_ids(9)[0].hex()]
    assert len(listed.input) == 200 and listed.input.endswith("…")
    assert session_turns(db, "s-9")[0].input == long_question.strip()


def test_previews_read_message_logs_when_the_spans_record_no_content(tmp_path):
    # opentelemetry-instrumentation-openai-v2: no content on the spans, messages as logs.
    from workbench.store.schema.telemetry import LOG_COLUMNS

    database = connect(tmp_path / "logs.db")
    trace, root = _ids(9)
    chat = _ids(9, 1)[1]
    spans = [
        make_span(trace, root, "invoke_agent a", {}, start_ns=T0, duration_ns=10**9),
        make_span(
            trace,
            chat,
            "chat m",
            {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"},
            parent_id=root,
            start_ns=T0 + 1000,
        ),
    ]
    logs = [
        ("gen_ai.user.message", '{"content": "where is my order?"}'),
        (
            "gen_ai.choice",
            '{"index": 0, "message": {"role": "assistant", "content": "on its way"}}',
        ),
    ]
    with database.conn:
        write_spans(database, normalize_request(make_request(spans, service="shop")).rows)
        for offset, (name, body) in enumerate(logs):
            row = (trace.hex(), chat.hex(), T0 + offset, 9, "INFO", name, body, "{}", "shop", "x")
            database.conn.execute(
                f"INSERT INTO logs ({', '.join(LOG_COLUMNS)}) VALUES ({', '.join('?' * len(row))})",
                row,
            )
    found = trace_previews(database, [trace.hex()])[trace.hex()]
    database.conn.close()
    assert (found.input, found.output) == ("where is my order?", "on its way")

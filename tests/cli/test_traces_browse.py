"""``traces list`` filters and previews, and ``traces session``: a conversation's turns."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.tui.tracedata import MS, T0, ids, seed_traces, store_spans, support_turn
from workbench.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _list(*args: str) -> list[dict]:
    result = _run("traces", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_json_carries_previews_and_new_filters_exclude_rows():
    seed_traces(4)
    store_spans(support_turn(50, start_ns=T0 + 10 * 60_000 * MS, session="other"))
    rows = _list()
    assert rows[0]["input"] == "Help me return order 12345"
    assert rows[0]["output"] == ""  # the last model call recorded no reply
    assert {row["session_id"] for row in _list("--session", "other")} == {"other"}
    assert len(_list("--session", "other")) == 1
    assert _list("--variant", "nope") == []
    assert len(_list("--variant", "baseline")) == 5
    since = "2026-01-15T09:33:00"  # turns 3, 4 and 50 start at or after it
    assert len(_list("--since", since)) == 3
    assert len(_list("--until", since)) == 2


def test_bad_time_is_a_one_line_error():
    result = _run("traces", "list", "--since", "last tuesday")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "--since 'last tuesday'" in result.output


def test_session_prints_turns_oldest_first():
    for n, minute in ((7, 2), (8, 1)):
        store_spans(support_turn(n, start_ns=T0 + minute * 60_000 * MS, session="conv-9"))
    result = _run("traces", "session", "conv-9")
    assert result.exit_code == 0, result.output
    assert "session conv-9 · 2 turns" in result.output
    output = result.output
    assert output.index(ids(8)[0].hex()) < output.index(ids(7)[0].hex())
    assert "Help me return order 12345" in result.output
    data = json.loads(_run("traces", "session", "conv-9", "--json").output)
    assert [row["trace_id"] for row in data] == [ids(8)[0].hex(), ids(7)[0].hex()]


def test_unknown_session_exits_2():
    result = _run("traces", "session", "nobody")
    assert result.exit_code == 2
    assert "no traces in session 'nobody'" in result.output

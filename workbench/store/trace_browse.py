"""Browsing traces: input/output previews for a page of traces, and one session's turns in order."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import orjson
from pydantic import BaseModel
from sqlite_utils import Database

from workbench.core.trace_preview import preview
from workbench.core.tracemodels import TraceSummary
from workbench.store.summaries import current_summaries
from workbench.store.traces import _SUMMARY_COLUMNS, _conn, _summary

# Per trace: its root span, its first model call and its last one (SQLite's MIN/MAX
# bare-column rule picks the row holding the extreme). CROSS JOIN keeps the wanted ids
# the outer loop, so each is a seek on the spans' primary key, never a scan of every
# span; no span JSON is read but these spans'.
_PREVIEW_SPANS = """
WITH wanted(trace_id) AS (SELECT value FROM json_each(?)),
picked(trace_id, span_id) AS (
    SELECT s.trace_id, s.span_id FROM wanted w CROSS JOIN spans s ON s.trace_id = w.trace_id
    WHERE s.parent_id IS NULL
    UNION
    SELECT trace_id, span_id FROM (
        SELECT w.trace_id, s.span_id, MIN(s.start_ns) FROM wanted w
        CROSS JOIN spans s ON s.trace_id = w.trace_id WHERE s.kind = 'llm' GROUP BY w.trace_id)
    UNION
    SELECT trace_id, span_id FROM (
        SELECT w.trace_id, s.span_id, MAX(s.end_ns) FROM wanted w
        CROSS JOIN spans s ON s.trace_id = w.trace_id WHERE s.kind = 'llm' GROUP BY w.trace_id)
)
SELECT s.trace_id, s.parent_id IS NULL, s.kind, s.start_ns, s.attributes, s.events
FROM picked p JOIN spans s ON s.trace_id = p.trace_id AND s.span_id = p.span_id
"""


class TracePreview(BaseModel):
    """What went into a trace and what came out, one line each (``""`` when not recorded)."""

    input: str = ""
    output: str = ""


class SessionTurn(BaseModel):
    """One turn of a conversation: the trace's figures with its input and output."""

    summary: TraceSummary
    input: str = ""
    output: str = ""


def trace_previews(
    db: Database | sqlite3.Connection, trace_ids: list[str]
) -> dict[str, TracePreview]:
    """Input and output previews of ``trace_ids`` (a page of the list); every id gets one."""
    found: dict[str, dict[str, list[tuple[int, dict[str, Any], list[Any]]]]] = {
        trace_id: {"root": [], "llm": []} for trace_id in trace_ids
    }
    if not trace_ids:
        return {}
    for trace_id, is_root, kind, start_ns, attributes, events in _conn(db).execute(
        _PREVIEW_SPANS, (json.dumps(trace_ids),)
    ):
        entry = (start_ns, orjson.loads(attributes), orjson.loads(events) if events else [])
        spans = found.setdefault(trace_id, {"root": [], "llm": []})
        if is_root:
            spans["root"].append(entry)
        if kind == "llm":
            spans["llm"].append(entry)
    previews: dict[str, TracePreview] = {}
    for trace_id, spans in found.items():
        calls = sorted(spans["llm"], key=lambda entry: entry[0])
        inputs = [*spans["root"], *calls[:1]]
        outputs = [*spans["root"], *calls[-1:]]
        previews[trace_id] = TracePreview(
            input=next((t for _, a, e in inputs if (t := preview(a, e, "input"))), ""),
            output=next((t for _, a, e in outputs if (t := preview(a, e, "output"))), ""),
        )
    return previews


def session_turns(
    db: Database | sqlite3.Connection,
    session_id: str,
    *,
    project: str | None = None,
    limit: int = 500,
) -> list[SessionTurn]:
    """The newest ``limit`` turns (traces) of one session, oldest first, with their previews."""
    source = current_summaries(_SUMMARY_COLUMNS)
    sql = f"SELECT {_SUMMARY_COLUMNS} FROM {source} WHERE session_id = ?"
    params: list[Any] = [session_id]
    if project:
        sql += " AND service = ?"
        params.append(project)
    sql += " ORDER BY start_ns DESC, trace_id DESC LIMIT ?"
    summaries = [_summary(row) for row in _conn(db).execute(sql, [*params, limit])]
    summaries.reverse()
    previews = trace_previews(db, [summary.trace_id for summary in summaries])
    return [
        SessionTurn(summary=summary, **previews[summary.trace_id].model_dump())
        for summary in summaries
    ]


def distinct_values(db: Database | sqlite3.Connection, column: str) -> list[str]:
    """Every distinct ``variant`` or ``session_id`` of the stored traces, by a skip-scan of
    its index (one seek per value)."""
    if column not in ("variant", "session_id"):
        raise ValueError(f"no index to list {column!r} values from")
    sql = (
        f"WITH RECURSIVE v(value) AS (SELECT MIN({column}) FROM traces UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM traces WHERE {column} > v.value) FROM v "
        "WHERE v.value IS NOT NULL) SELECT value FROM v WHERE value IS NOT NULL "
        f"UNION SELECT {column} FROM pending_traces WHERE {column} IS NOT NULL ORDER BY 1"
    )
    return [row[0] for row in _conn(db).execute(sql)]


class ListedTrace(TraceSummary):
    """A trace as the list shows it: its summary with its input and output previews."""

    input: str = ""
    output: str = ""


# A trace this big costs ~10 ms of span reads per 1,000 spans to preview: while it grows,
# its preview is read again at most every ``_BIG_REFRESH_S`` seconds.
_BIG_TRACE = 2000
_BIG_REFRESH_S = 5.0


class PreviewCache:
    """Previews already read, per trace and keyed by its ``updated_ns``, so a live list that
    re-reads its first page on every change reads the spans of new or changed traces only."""

    def __init__(self, size: int = 5000) -> None:
        self._size = size
        self._entries: dict[str, tuple[int, TracePreview, float]] = {}

    def _fresh(self, summary: TraceSummary, now: float) -> bool:
        entry = self._entries.get(summary.trace_id)
        if entry is None:
            return False
        if entry[0] == summary.updated_ns:
            return True
        return summary.span_count > _BIG_TRACE and now - entry[2] < _BIG_REFRESH_S

    def listed(
        self, db: Database | sqlite3.Connection, summaries: list[TraceSummary]
    ) -> list[ListedTrace]:
        """``summaries`` with their previews (reading only those not cached at that version)."""
        now = time.monotonic()
        missing = [s for s in summaries if not self._fresh(s, now)]
        if missing:
            if len(self._entries) + len(missing) > self._size:
                self._entries.clear()
            found = trace_previews(db, [s.trace_id for s in missing])
            for summary in missing:
                self._entries[summary.trace_id] = (
                    summary.updated_ns,
                    found[summary.trace_id],
                    now,
                )
        return [
            ListedTrace.model_construct(
                **summary.__dict__, **self._entries[summary.trace_id][1].__dict__
            )
            for summary in summaries
        ]

"""Browsing traces: input/output previews for a page of traces, and one session's turns in order."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import orjson
from pydantic import BaseModel
from sqlite_utils import Database

from workbench.core.trace_preview import PREVIEW_CHARS, preview
from workbench.core.tracemodels import TraceSummary
from workbench.store.summaries import current_summaries
from workbench.store.traces import _SUMMARY_COLUMNS, _conn, _summary

SESSION_CHARS = 2000

# One pass over the wanted traces' spans, reading only columns stored before the JSON
# (CROSS JOIN keeps the ids the outer loop: a primary-key seek each, never a scan of
# every span), then the JSON of the few spans a preview needs.
_PREVIEW_CANDIDATES = """
SELECT s.trace_id, s.span_id, s.parent_id IS NULL, s.kind = 'llm', s.start_ns, s.end_ns
FROM (SELECT value AS trace_id FROM json_each(?)) w CROSS JOIN spans s ON s.trace_id = w.trace_id
WHERE s.parent_id IS NULL OR s.kind = 'llm'
"""
_PREVIEW_SPANS = """
SELECT s.trace_id, s.span_id, s.attributes, s.events
FROM json_each(?) j CROSS JOIN spans s
ON s.trace_id = json_extract(j.value, '$[0]') AND s.span_id = json_extract(j.value, '$[1]')
"""

# GenAI message events that instrumentations emit as logs (opentelemetry-instrumentation-
# openai-v2): read only for a side whose spans recorded nothing (the log index seeks them).
_PREVIEW_LOGS = """
SELECT l.trace_id, l.span_id, l.event_name, l.body
FROM json_each(?) j CROSS JOIN logs l
ON l.trace_id = json_extract(j.value, '$[0]') AND l.span_id = json_extract(j.value, '$[1]')
WHERE l.event_name LIKE 'gen_ai.%'
ORDER BY l.time_ns
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
    db: Database | sqlite3.Connection, trace_ids: list[str], *, limit: int = PREVIEW_CHARS
) -> dict[str, TracePreview]:
    """Input and output previews of ``trace_ids`` (a page of the list); every id gets one.

    The input comes from the root span, else the first model call; the output from the
    root span, else the last model call.
    """
    if not trace_ids:
        return {}
    conn = _conn(db)
    roots: dict[str, list[str]] = {}
    first: dict[str, tuple[int, str]] = {}
    last: dict[str, tuple[int, str]] = {}
    for trace_id, span_id, is_root, is_llm, start_ns, end_ns in conn.execute(
        _PREVIEW_CANDIDATES, (json.dumps(trace_ids),)
    ):
        if is_root:
            roots.setdefault(trace_id, []).append(span_id)
        if is_llm:
            if trace_id not in first or start_ns < first[trace_id][0]:
                first[trace_id] = (start_ns, span_id)
            if trace_id not in last or end_ns > last[trace_id][0]:
                last[trace_id] = (end_ns, span_id)
    wanted = {(t, s) for t, spans in roots.items() for s in spans}
    wanted |= {(t, s) for t, (_, s) in first.items()} | {(t, s) for t, (_, s) in last.items()}
    content: dict[tuple[str, str], tuple[dict[str, Any], list[Any]]] = {}
    if wanted:
        for trace_id, span_id, attributes, events in conn.execute(
            _PREVIEW_SPANS, (json.dumps(sorted(wanted)),)
        ):
            content[(trace_id, span_id)] = (
                orjson.loads(attributes),
                orjson.loads(events) if events else [],
            )

    def one(trace_id: str) -> TracePreview:
        root = [content[(trace_id, s)] for s in roots.get(trace_id, []) if (trace_id, s) in content]
        head = [content[(trace_id, first[trace_id][1])]] if trace_id in first else []
        tail = [content[(trace_id, last[trace_id][1])]] if trace_id in last else []
        return TracePreview(
            input=next((t for a, e in [*root, *head] if (t := preview(a, e, "input", limit))), ""),
            output=next(
                (t for a, e in [*root, *tail] if (t := preview(a, e, "output", limit))), ""
            ),
        )

    previews = {trace_id: one(trace_id) for trace_id in trace_ids}
    blank = {t for t, found in previews.items() if not (found.input and found.output)}
    pairs = sorted(pair for pair in content if pair[0] in blank)
    if pairs and _add_log_events(conn, content, pairs):
        previews.update({trace_id: one(trace_id) for trace_id in blank})
    return previews


def _add_log_events(
    conn: sqlite3.Connection,
    content: dict[tuple[str, str], tuple[dict[str, Any], list[Any]]],
    pairs: list[tuple[str, str]],
) -> bool:
    """Append the spans' GenAI log events to their events (as span events read); any found."""
    found = False
    for trace_id, span_id, name, body in conn.execute(_PREVIEW_LOGS, (json.dumps(pairs),)):
        payload = orjson.loads(body) if body else None
        attributes = payload if isinstance(payload, dict) else {"body": payload}
        content[(trace_id, span_id)][1].append({"name": name, "attributes": attributes})
        found = True
    return found


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
    # A conversation is read, not skimmed: each message up to ``SESSION_CHARS``.
    previews = summaries_previews(db, summaries, limit=SESSION_CHARS)
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


# Previewing a trace reads a few columns of each of its spans: ~10 ms per 1,000 spans on
# a busy machine. Past this many the list shows no preview (open the trace instead), so
# a page stays fast whatever it holds.
MOST_SPANS_PREVIEWED = 2000


def summaries_previews(
    db: Database | sqlite3.Connection, summaries: list[TraceSummary], *, limit: int = PREVIEW_CHARS
) -> dict[str, TracePreview]:
    """Previews of ``summaries``; those with more than ``MOST_SPANS_PREVIEWED`` spans get
    an empty one without reading their spans."""
    small = [s.trace_id for s in summaries if s.span_count <= MOST_SPANS_PREVIEWED]
    found = trace_previews(db, small, limit=limit)
    return {s.trace_id: found.get(s.trace_id, TracePreview()) for s in summaries}


class PreviewCache:
    """Previews already read, per trace and keyed by its ``updated_ns``, so a live list that
    re-reads its first page on every change reads the spans of new or changed traces only."""

    def __init__(self, size: int = 5000) -> None:
        self._size = size
        self._entries: dict[str, tuple[int, TracePreview]] = {}

    def listed(
        self, db: Database | sqlite3.Connection, summaries: list[TraceSummary]
    ) -> list[ListedTrace]:
        """``summaries`` with their previews (reading only those not cached at that version)."""
        missing = [
            s for s in summaries if self._entries.get(s.trace_id, (None,))[0] != s.updated_ns
        ]
        if missing:
            if len(self._entries) + len(missing) > self._size:
                self._entries.clear()
            found = summaries_previews(db, missing)
            for summary in missing:
                self._entries[summary.trace_id] = (summary.updated_ns, found[summary.trace_id])
        return [
            ListedTrace.model_construct(
                **summary.__dict__, **self._entries[summary.trace_id][1].__dict__
            )
            for summary in summaries
        ]

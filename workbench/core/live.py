"""Live views of the store for long-running front ends: a shared reader, polling, the collector."""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel
from sqlite_utils import Database

from workbench.core.budget import BudgetReport, budget_status
from workbench.core.projects import Project
from workbench.core.telemetrymodels import LogRecord
from workbench.core.trace_charts import TraceSeries, trace_series
from workbench.core.tracemodels import SpanRecord, TraceDetail, TraceSummary
from workbench.errors import WorkbenchError
from workbench.settings import get_settings
from workbench.store import telemetry, traces
from workbench.store.schema.spans import SPAN_COLUMNS
from workbench.store.summaries import SUMMARY_COLUMNS, current_summaries, one_summary
from workbench.store.trace_browse import (
    PreviewCache,
    SessionTurn,
    distinct_values,
    session_turns,
)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection inside: building thousands of fresh objects (a big trace's
    spans) triggers collections that find nothing and, in the TUI's large heap, cost as
    much as the building itself."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class TraceFilter(BaseModel):
    """The trace list's filters; an empty field does not filter."""

    project: str | None = None
    status: str | None = None
    model: str | None = None
    search: str | None = None
    variant: str | None = None
    session: str | None = None
    # Start-time bounds in ns since the epoch (``until_ns`` excluded).
    since_ns: int | None = None
    until_ns: int | None = None

    def matches(self, summary: TraceSummary) -> bool:
        """Whether ``summary`` passes the filters (for traces that changed in place)."""
        if self.project and summary.project != self.project:
            return False
        if self.variant and summary.variant != self.variant:
            return False
        if self.session and summary.session_id != self.session:
            return False
        if self.since_ns is not None and summary.start_ns < self.since_ns:
            return False
        if self.until_ns is not None and summary.start_ns >= self.until_ns:
            return False
        if self.status and summary.status != self.status:
            return False
        if self.model and not any(self.model in model for model in summary.models):
            return False
        if self.search:
            needle = self.search.strip().lower()
            haystack = (summary.name.lower(), summary.project.lower())
            if not any(needle in text for text in haystack) and not summary.trace_id.startswith(
                needle
            ):
                return False
        return True


class TraceReader:
    """One read connection shared by a screen's worker threads, one query at a time.

    Opening a connection runs the migration check, so a screen keeps one for its
    lifetime instead of opening one per poll; the lock makes it safe to use from
    the thread pool that runs workers.
    """

    def __init__(self, path: Path | None = None) -> None:
        from workbench.store.db import connect

        self._db: Database = connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self._previews = PreviewCache()

    def page(
        self, filters: TraceFilter, *, before: tuple[int, str] | None = None, limit: int = 100
    ) -> list[TraceSummary]:
        """One page of traces, newest first, after ``before`` (a summary's ``cursor``), each a
        ``ListedTrace`` carrying its input and output previews."""
        with self._lock:
            rows = traces.list_traces(
                self._db,
                project=filters.project,
                status=filters.status,
                model=filters.model,
                search=filters.search,
                variant=filters.variant,
                session=filters.session,
                since_ns=filters.since_ns,
                until_ns=filters.until_ns,
                limit=limit,
                before=before,
            )
            return list(self._previews.listed(self._db, rows))

    def projects(self) -> list[str]:
        """The projects (services) that have traces, by name."""
        # A skip-scan over the (service, start) index: one seek per project, not per trace.
        sql = (
            "WITH RECURSIVE p(name) AS (SELECT MIN(service) FROM traces UNION ALL "
            "SELECT (SELECT MIN(service) FROM traces WHERE service > p.name) FROM p "
            "WHERE p.name IS NOT NULL) SELECT name FROM p WHERE name IS NOT NULL "
            "UNION SELECT service FROM pending_traces ORDER BY 1"
        )
        with self._lock:
            return [row[0] for row in self._db.conn.execute(sql)]

    def latest_change(self) -> int:
        """The newest ``updated_ns`` stored, or 0: where polling for changes starts."""
        with self._lock:
            row = self._db.conn.execute(
                "SELECT MAX(latest) FROM (SELECT MAX(updated_ns) AS latest FROM traces "
                "UNION ALL SELECT MAX(written_ns) FROM trace_pending)"
            ).fetchone()
        return int(row[0] or 0)

    def changes(self, since_ns: int, *, limit: int = 500) -> list[TraceSummary]:
        """Traces written or changed after ``since_ns``, oldest change first."""
        with self._lock:
            rows = traces.traces_since(self._db, since_ns, limit=limit)
            return list(self._previews.listed(self._db, rows))

    def series(self, filters: TraceFilter) -> TraceSeries:
        """The Charts tab's series over the traces of ``filters``' project and time range."""
        with self._lock:
            return trace_series(
                self._db,
                project=filters.project,
                since_ns=filters.since_ns,
                until_ns=filters.until_ns,
            )

    def variants(self) -> list[str]:
        """The variants that have traces, by name."""
        with self._lock:
            return distinct_values(self._db, "variant")

    def session(self, session_id: str, *, project: str | None = None) -> list[SessionTurn]:
        """One session's turns, oldest first, with their inputs and outputs."""
        with self._lock:
            return session_turns(self._db, session_id, project=project)

    def trace_version(self, trace_id: str) -> tuple[int, int] | None:
        """``(span_count, updated_ns)`` of a stored trace (full id), or None: what a view
        following a trace live compares, without reading its spans."""
        with self._lock:
            row = self._db.conn.execute(
                one_summary("span_count, updated_ns"), (trace_id,)
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def trace(self, trace_id: str) -> TraceDetail | None:
        """A trace with all its spans, or None."""
        with self._lock:
            return traces.get_trace(self._db, trace_id)

    def trace_outline(self, trace_id: str) -> TraceDetail | None:
        """A trace with its spans' canonical columns only (no attributes, resource or events).

        Decoding every span's JSON is most of the cost of a 10,000-span trace; a
        waterfall needs none of it, and ``span`` fetches it for one span on demand.
        """
        with self._lock:
            full = traces.resolve_trace_id(self._db, trace_id)
            row = self._db.conn.execute(_SUMMARY_SQL, (full,)).fetchone() if full else None
            if full is None or row is None:
                return None
            rows = self._db.conn.execute(_OUTLINE_SQL, (full,)).fetchall()
        summary = dict(zip(_SUMMARY_COLUMNS, row, strict=True))
        summary["project"] = summary.pop("service")
        summary["models"] = summary["models"].split(",") if summary["models"] else []
        with gc_paused():
            spans = [_outline_span(full, row) for row in rows]
        return TraceDetail.model_construct(**summary, spans=spans)

    def span(self, trace_id: str, span_id: str) -> SpanRecord | None:
        """One span with everything stored about it."""
        with self._lock:
            detail_rows = self._db.conn.execute(
                "SELECT attributes, resource, events FROM spans WHERE trace_id = ? AND span_id = ?",
                (trace_id, span_id),
            ).fetchone()
            outline = self._db.conn.execute(
                _OUTLINE_SQL.replace("ORDER BY start_ns, span_id", "AND span_id = ?"),
                (trace_id, span_id),
            ).fetchone()
        if detail_rows is None or outline is None:
            return None
        span = _outline_span(trace_id, outline)
        span.__dict__.update(
            attributes=json.loads(detail_rows[0]),
            resource=json.loads(detail_rows[1]),
            events=json.loads(detail_rows[2]) if detail_rows[2] else [],
        )
        return span

    def span_logs(self, trace_id: str, span_id: str) -> list[LogRecord]:
        """The log records emitted inside one span (prompt and completion events, say)."""
        with self._lock:
            return telemetry.span_logs(self._db, trace_id, span_id)

    def session_trace(self, project: str, session_id: str, since_ns: int) -> TraceDetail | None:
        """The newest trace of ``session_id`` in ``project`` that started at or after ``since_ns``.

        This is how a front end follows a turn whose trace id it learns only when
        the turn ends: the project stamps the session on every span.
        """
        with self._lock:
            row = self._db.conn.execute(
                f"SELECT trace_id FROM {_SESSION_SOURCE} WHERE service = ? AND start_ns >= ? "
                "AND session_id = ? ORDER BY start_ns DESC LIMIT 1",
                (project, since_ns, session_id),
            ).fetchone()
            return traces.get_trace(self._db, row[0]) if row else None

    def budget(
        self, project: Project, *, session_id: str | None, trace_id: str | None
    ) -> BudgetReport:
        """Spend against each of ``project``'s ``[budgets]`` limits."""
        with self._lock:
            return budget_status(self._db, project, session_id=session_id, trace_id=trace_id)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.conn.close()


# Every span column but the trace id (known already), the bulky JSON ones and two never shown.
_OUTLINE_COLUMNS = tuple(
    column
    for column in SPAN_COLUMNS
    if column not in {"trace_id", "scope", "model_source", "attributes", "resource", "events"}
)
_OUTLINE_SQL = (
    f"SELECT {', '.join(_OUTLINE_COLUMNS)} FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id"
)
# The stored summary columns the live view shows (it has no use for cached tokens).
_SUMMARY_COLUMNS = tuple(column for column in SUMMARY_COLUMNS if column != "cached_tokens")
# Current summaries: a trace whose spans arrived after its stored summary is summarized live.
_SUMMARY_SQL = one_summary(", ".join(_SUMMARY_COLUMNS))
_SESSION_SOURCE = current_summaries("trace_id, service, start_ns, session_id")
_SPAN_FIELDS = frozenset(SpanRecord.model_fields)


def _outline_span(trace_id: str, row: tuple) -> SpanRecord:
    # Rows come from the collector's own writer; even model_construct costs ~15 µs a
    # span, too much for 10,000 of them, so set exactly what it would set (pydantic v2).
    data = dict(zip(_OUTLINE_COLUMNS, row, strict=True))
    data.update(trace_id=trace_id, attributes={}, resource={}, events=[])
    span = SpanRecord.__new__(SpanRecord)
    object.__setattr__(span, "__dict__", data)
    object.__setattr__(span, "__pydantic_fields_set__", set(_SPAN_FIELDS))
    object.__setattr__(span, "__pydantic_extra__", None)
    object.__setattr__(span, "__pydantic_private__", None)
    return span


_collector_lock = threading.Lock()
_collector_address: str | None = None
_collector_server = None  # the collector this process started, if any
_collector_closed = False


def ensure_local_collector(
    start: Callable[[str, int], object] | None = None,
) -> str:
    """Make sure a collector answers on the configured host and port; say which.

    Starts one in this process (stopped by ``stop_local_collector``, or at exit) when
    none is running there, once per process. Returns ``"collector on http://HOST:PORT"``
    plus ``(started)`` or ``(already running)``; raises ``WorkbenchError`` when the
    port is taken by something else, or after ``stop_local_collector``.
    """
    global _collector_address, _collector_server
    with _collector_lock:
        if _collector_address is not None:
            return _collector_address
        if _collector_closed:
            raise WorkbenchError("the workbench is closing; no collector started")
        from workbench.core.collector import ensure_collector

        settings = get_settings()
        host, port = settings.collector_host, settings.collector_port
        server = (start or ensure_collector)(host, port)
        how = "already running" if server is None else "started"
        if server is not None and hasattr(server, "stop"):
            _collector_server = server
            atexit.register(stop_local_collector)
        _collector_address = f"collector on http://{host}:{port} ({how})"
        return _collector_address


def stop_local_collector() -> None:
    """Stop the collector ``ensure_local_collector`` started, flushing and closing its writer.

    A start in progress is waited for and then stopped; none starts afterwards.
    """
    global _collector_server, _collector_closed
    _collector_closed = True
    with _collector_lock:
        server, _collector_server = _collector_server, None
    if server is not None:
        server.stop()


def forward_status() -> str:
    """A short line on the collector's forwarding (``→ host: 12 forwarded …``), "" when off.

    Read from the collector this process started, else from the ``/healthz`` of the
    one on the configured port; a collector that does not answer says nothing.
    """
    stats = None
    server = _collector_server
    if server is not None:
        app = getattr(getattr(getattr(server, "server", None), "config", None), "app", None)
        forwarder = getattr(getattr(app, "state", None), "forwarder", None)
        stats = forwarder.stats() if forwarder is not None else None
    elif _collector_address is not None:
        import httpx

        settings = get_settings()
        url = f"http://{settings.collector_host}:{settings.collector_port}/healthz"
        try:
            stats = httpx.get(url, timeout=0.5, trust_env=False).json().get("forward")
        except (httpx.HTTPError, ValueError, AttributeError):
            stats = None
    if not stats:
        return ""
    from urllib.parse import urlsplit

    host = urlsplit(stats["url"]).netloc
    line = f"→ {host}: {stats['forwarded']} forwarded, {stats['dropped']} dropped"
    if stats["backlog"]:
        line += f", backlog {stats['backlog']}"
    return line + (" (retrying)" if "retrying" in (stats.get("last_error") or "") else "")

"""Tables for collected OpenTelemetry spans and the per-trace summaries kept beside them."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.spans")

# Column order of ``spans``; the collector's writer binds rows in exactly this order.
SPAN_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_id",
    "name",
    "kind",
    "service",
    "scope",
    "model",
    "provider",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost_usd",
    "status",
    "status_message",
    "start_ns",
    "end_ns",
    "duration_ms",
    "session_id",
    "variant",
    "prompt_version",
    "model_source",
    "tool_name",
    "attributes",
    "resource",
    "events",
)


@migrations()
def create_spans(db: Database) -> None:
    """One row per span keyed by (trace_id, span_id), plus one summary row per trace."""
    db.execute(
        """
        CREATE TABLE spans (
            trace_id TEXT NOT NULL,       -- 32 lowercase hex digits
            span_id TEXT NOT NULL,        -- 16 lowercase hex digits
            parent_id TEXT,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,           -- agent / llm / tool / guardrail / other
            service TEXT NOT NULL,        -- resource service.name: the project
            scope TEXT,                   -- instrumentation scope name
            model TEXT,
            provider TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cached_tokens INTEGER,
            cost_usd REAL,
            status TEXT NOT NULL,         -- ok / error / unset
            status_message TEXT,
            start_ns INTEGER NOT NULL,
            end_ns INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            session_id TEXT,
            variant TEXT,
            prompt_version TEXT,
            model_source TEXT,
            tool_name TEXT,
            attributes TEXT NOT NULL,     -- JSON object of the span's attributes
            resource TEXT NOT NULL,       -- JSON object of the resource's attributes
            events TEXT,                  -- JSON list of events, NULL when none
            PRIMARY KEY (trace_id, span_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE traces (
            trace_id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            name TEXT NOT NULL,           -- the root span's name
            start_ns INTEGER NOT NULL,
            end_ns INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            status TEXT NOT NULL,         -- error if any span errored, else ok
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            span_count INTEGER NOT NULL,
            session_id TEXT,
            variant TEXT,
            models TEXT NOT NULL,         -- comma-separated distinct models
            updated_ns INTEGER NOT NULL   -- wall clock of the last write, for live updates
        ) WITHOUT ROWID
        """
    )
    # Newest-first keyset pagination, unfiltered and by the indexed filters.
    db.execute("CREATE INDEX traces_start ON traces (start_ns DESC, trace_id DESC)")
    db.execute(
        "CREATE INDEX traces_service_start ON traces (service, start_ns DESC, trace_id DESC)"
    )
    db.execute("CREATE INDEX traces_status_start ON traces (status, start_ns DESC, trace_id DESC)")
    db.execute("CREATE INDEX traces_updated ON traces (updated_ns)")


@migrations()
def add_covering_page_index(db: Database) -> None:
    """Page and search traces from one covering index, so rare matches need no row lookups."""
    db.execute("DROP INDEX traces_start")
    db.execute(
        "CREATE INDEX traces_page ON traces "
        "(start_ns DESC, trace_id DESC, service, status, name, models)"
    )


@migrations()
def add_models_page_index(db: Database) -> None:
    """Page traces by their models from an index: the model filter finds the matching model
    sets by a skip-scan and pages each one newest first, instead of scanning every trace."""
    db.execute(
        "CREATE INDEX traces_models_page ON traces "
        "(models, start_ns DESC, trace_id DESC, service, status, name)"
    )


@migrations()
def add_pending_summaries(db: Database) -> None:
    """Traces whose summary lags their spans, and the view that summarizes them live: the
    collector refreshes ``traces`` after acknowledging, readers merge the two meanwhile."""
    from workbench.store.summaries import PENDING_TABLE, PENDING_VIEW

    db.execute(PENDING_TABLE)
    db.execute(PENDING_VIEW)


@migrations()
def key_pending_view_by_pending_id(db: Database) -> None:
    """The pending view takes its trace id from ``trace_pending``, so a lookup by id seeks
    its primary key instead of visiting every pending trace."""
    from workbench.store.summaries import PENDING_VIEW

    db.execute("DROP VIEW pending_traces")
    db.execute(PENDING_VIEW)

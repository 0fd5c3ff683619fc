"""Tables for the OTLP logs and GenAI metrics the collector keeps beside the spans."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.telemetry")

# Column orders; the collector's telemetry writer binds rows in exactly these orders.
LOG_COLUMNS = (
    "trace_id",
    "span_id",
    "time_ns",
    "severity_number",
    "severity_text",
    "event_name",
    "body",
    "attributes",
    "service",
    "scope",
)
METRIC_COLUMNS = (
    "series",
    "time_ns",
    "start_ns",
    "name",
    "unit",
    "kind",
    "temporality",
    "service",
    "scope",
    "model",
    "operation",
    "token_type",
    "attributes",
    "count",
    "sum",
    "min",
    "max",
    "value",
    "bounds",
    "bucket_counts",
)


@migrations()
def create_logs_and_metrics(db: Database) -> None:
    """Log records (found by their trace and span) and GenAI metric data points."""
    db.execute(
        """
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY,
            trace_id TEXT,                -- 32 lowercase hex digits; NULL outside a trace
            span_id TEXT,                 -- 16 lowercase hex digits; NULL outside a span
            time_ns INTEGER NOT NULL,     -- time_unix_nano, else observed_time_unix_nano
            severity_number INTEGER NOT NULL,
            severity_text TEXT,
            event_name TEXT,              -- event_name, else the event.name attribute
            body TEXT,                    -- JSON of the body (string, map, list), NULL if none
            attributes TEXT NOT NULL,     -- JSON object of the record's attributes
            service TEXT NOT NULL,        -- resource service.name
            scope TEXT                    -- instrumentation scope name
        )
        """
    )
    db.execute("CREATE INDEX logs_trace ON logs (trace_id, span_id, time_ns)")
    db.execute(
        """
        CREATE TABLE metric_points (
            series TEXT NOT NULL,         -- digest of name, service, scope, attributes and start
            time_ns INTEGER NOT NULL,
            start_ns INTEGER NOT NULL,
            name TEXT NOT NULL,
            unit TEXT,
            kind TEXT NOT NULL,           -- histogram, sum, gauge, exponential_histogram, summary
            temporality TEXT,             -- cumulative / delta / NULL (gauges)
            service TEXT NOT NULL,
            scope TEXT,
            model TEXT,                   -- gen_ai.response.model, else gen_ai.request.model
            operation TEXT,               -- gen_ai.operation.name
            token_type TEXT,              -- gen_ai.token.type (input / output)
            attributes TEXT NOT NULL,     -- JSON object of the kept attributes
            count INTEGER,
            sum REAL,
            min REAL,
            max REAL,
            value REAL,                   -- sums and gauges
            bounds TEXT,                  -- JSON list of explicit histogram bounds
            bucket_counts TEXT,           -- JSON list of histogram bucket counts
            PRIMARY KEY (series, time_ns)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX metric_points_name ON metric_points (name, service, time_ns)")

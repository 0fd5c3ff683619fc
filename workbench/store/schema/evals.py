"""Tables for eval runs and their per case × variant × repeat results."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.evals")

# Column order of ``eval_results``; the engine's writer binds rows in exactly this order.
RESULT_COLUMNS = (
    "run_id",
    "case_id",
    "variant",
    "repeat",
    "case_index",
    "category",
    "status",
    "score",
    "weight",
    "output",
    "assertions",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "trace_id",
    "steps",
    "error",
    "finished_at",
)


@migrations()
def create_eval_tables(db: Database) -> None:
    """One row per eval run, one per (run, case, variant, repeat): each result at most once."""
    db.execute(
        """
        CREATE TABLE eval_runs (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL,
            project_path TEXT NOT NULL,
            set_name TEXT NOT NULL,
            set_path TEXT NOT NULL,
            set_digest TEXT NOT NULL,
            variants TEXT NOT NULL,        -- JSON list of the variants' specs, in order
            repeat INTEGER NOT NULL,
            total INTEGER NOT NULL,        -- cases × variants × repeat
            status TEXT NOT NULL,          -- running / complete / interrupted / failed
            pid INTEGER,
            host TEXT,
            started_at TEXT NOT NULL,      -- ISO 8601, UTC
            heartbeat_at REAL,             -- unix time of the last sign of life
            finished_at TEXT,
            options TEXT NOT NULL          -- JSON: concurrency, gate, judge …
        )
        """
    )
    db.execute("CREATE INDEX eval_runs_by_project ON eval_runs (project, started_at)")
    db.execute(
        """
        CREATE TABLE eval_results (
            run_id TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
            case_id TEXT NOT NULL,
            variant TEXT NOT NULL,
            repeat INTEGER NOT NULL,
            case_index INTEGER NOT NULL,   -- the case's position in its set
            category TEXT NOT NULL,
            status TEXT NOT NULL,          -- pass / fail / error
            score REAL NOT NULL,
            weight REAL NOT NULL,
            output TEXT,
            assertions TEXT NOT NULL,      -- JSON list of {type, passed, score, reason, …}
            latency_ms REAL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cost_usd REAL,
            trace_id TEXT,                 -- the first turn's trace, when there is one
            steps INTEGER,
            error TEXT,
            finished_at REAL NOT NULL,
            PRIMARY KEY (run_id, case_id, variant, repeat)
        )
        """
    )
    db.execute("CREATE INDEX eval_results_by_case ON eval_results (run_id, case_index)")

"""Indexes for browsing traces by session and variant (the trace list's filters, session view)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.trace_browse")


@migrations()
def add_session_and_variant_indexes(db: Database) -> None:
    """Newest-first pages of one session's or one variant's traces, found by seek, not scan.

    The session view reads a conversation oldest first from the same index, backwards.
    """
    db.execute(
        "CREATE INDEX IF NOT EXISTS traces_session_start ON traces "
        "(session_id, start_ns DESC, trace_id DESC)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS traces_variant_start ON traces "
        "(variant, start_ns DESC, trace_id DESC)"
    )

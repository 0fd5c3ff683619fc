"""Tables for the production-readiness checklist: people's sign-offs on attested items."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.readiness")


@migrations()
def create_signoffs(db: Database) -> None:
    """Sign-offs: who attested which item of which project, when, and on what evidence."""
    db.table("signoffs").create(
        {
            "id": int,
            "project_path": str,
            "project_name": str,
            "item_id": str,
            "signed_by": str,
            "note": str,
            "signed_at": str,
            # sha256 of the evidence the item refers to when it was signed; the
            # sign-off stays valid only while the evidence hashes the same.
            "fingerprint": str,
            # What the fingerprint was computed over (e.g. "RUNBOOK.md#Rollback").
            "evidence": str,
        },
        pk="id",
    )
    db.table("signoffs").create_index(["project_path", "item_id", "signed_at"])


@migrations()
def create_verdict_cache(db: Database) -> None:
    """Cached verdicts: an item's result, valid while the fingerprint of what it read holds."""
    db.table("readiness_verdicts").create(
        {
            "project_path": str,
            "item_id": str,
            # sha256 over the project's files, the checker's code and the model judged.
            "fingerprint": str,
            "result": str,  # the ItemResult as JSON
            "checked_at": str,
            "seconds": float,
        },
        pk=("project_path", "item_id"),
    )

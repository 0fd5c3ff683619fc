"""Repository functions over the ``signoffs`` table: attestations recorded by people."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlite_utils import Database


class SignoffRecord(BaseModel):
    """One stored sign-off."""

    id: int
    project_path: str
    project_name: str = ""
    item_id: str
    signed_by: str
    note: str = ""
    signed_at: str
    fingerprint: str
    evidence: str = ""


def add_signoff(
    db: Database,
    *,
    project_path: str,
    project_name: str,
    item_id: str,
    signed_by: str,
    note: str,
    fingerprint: str,
    evidence: str,
    signed_at: str | None = None,
) -> SignoffRecord:
    """Store a sign-off; earlier ones stay as history."""
    row = {
        "project_path": project_path,
        "project_name": project_name,
        "item_id": item_id,
        "signed_by": signed_by,
        "note": note,
        "signed_at": signed_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "fingerprint": fingerprint,
        "evidence": evidence,
    }
    with db.conn:
        signoff_id = db.table("signoffs").insert(row).last_pk
    assert signoff_id is not None  # sqlite-utils sets it on every insert
    return SignoffRecord(id=signoff_id, **row)


def signoffs_for(db: Database, project_path: str) -> list[SignoffRecord]:
    """Every sign-off of a project, newest first."""
    rows = db.table("signoffs").rows_where(
        "project_path = ?", [project_path], order_by="signed_at desc, id desc"
    )
    return [SignoffRecord(**row) for row in rows]


def latest_signoffs(db: Database, project_path: str) -> dict[str, SignoffRecord]:
    """The newest sign-off of each item of a project."""
    latest: dict[str, SignoffRecord] = {}
    for record in signoffs_for(db, project_path):
        latest.setdefault(record.item_id, record)
    return latest

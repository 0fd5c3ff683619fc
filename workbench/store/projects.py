"""Repository functions over the ``projects`` table: the projects the workbench has met."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlite_utils import Database
from sqlite_utils.db import NotFoundError


class ProjectRecord(BaseModel):
    """One stored project, without its (large) base snapshot."""

    path: str
    name: str
    template: str = ""
    template_version: str = ""
    created_at: str = ""
    updated_at: str = ""
    has_snapshot: bool = False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(row: dict) -> ProjectRecord:
    return ProjectRecord(
        path=row["path"],
        name=row["name"] or "",
        template=row["template"] or "",
        template_version=row["template_version"] or "",
        created_at=row["created_at"] or "",
        updated_at=row["updated_at"] or "",
        has_snapshot=bool(row.get("base_snapshot")),
    )


def save_project(
    db: Database,
    *,
    path: str,
    name: str,
    template: str,
    template_version: str,
    snapshot: bytes | None = None,
    created_at: str | None = None,
) -> ProjectRecord:
    """Insert or update a project; ``created_at`` is kept from the first save.

    A ``snapshot`` of ``None`` leaves any stored snapshot as it is.
    """
    now = _now()
    existing = get_project(db, path)
    row: dict = {
        "path": path,
        "name": name,
        "template": template,
        "template_version": template_version,
        "created_at": (existing.created_at if existing else None) or created_at or now,
        "updated_at": now,
    }
    if snapshot is not None:
        row["base_snapshot"] = snapshot
    with db.conn:
        db.table("projects").upsert(row, pk="path")
    result = get_project(db, path)
    assert result is not None
    return result


def get_project(db: Database, path: str) -> ProjectRecord | None:
    """The stored project at ``path``, or ``None``."""
    try:
        return _record(db.table("projects").get(path))
    except NotFoundError:
        return None


def get_snapshot(db: Database, path: str) -> bytes | None:
    """The pristine render stored for the project at ``path`` (a gzipped tar), or ``None``."""
    rows = db.execute("select base_snapshot from projects where path = ?", [path]).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def list_projects(db: Database) -> list[ProjectRecord]:
    """Every stored project, by path."""
    rows = db.execute(
        "select path, name, template, template_version, created_at, updated_at,"
        " base_snapshot is not null and length(base_snapshot) > 0 as base_snapshot"
        " from projects order by path"
    )
    columns = [c[0] for c in rows.description]
    return [_record(dict(zip(columns, row, strict=True))) for row in rows.fetchall()]


def forget_project(db: Database, path: str) -> bool:
    """Remove the project at ``path`` from the store; ``True`` if it was there."""
    with db.conn:
        cursor = db.execute("delete from projects where path = ?", [path])
    return cursor.rowcount > 0

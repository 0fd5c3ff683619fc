"""Tables for the projects the workbench knows about."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workbench.projects")


@migrations()
def create_projects(db: Database) -> None:
    """Projects scaffolded or opened, with the pristine render used by ``update``."""
    db.table("projects").create(
        {
            "path": str,
            "name": str,
            "template": str,
            "template_version": str,
            "created_at": str,
            "updated_at": str,
            # A gzipped tar of the files exactly as the template rendered them: the
            # common base of the three-way merge that ``workbench update`` performs.
            "base_snapshot": bytes,
        },
        pk="path",
    )

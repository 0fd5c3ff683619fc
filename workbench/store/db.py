"""Opening the workbench database: WAL, a busy timeout, and every pending migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from workbench import locations
from workbench.settings import get_settings
from workbench.store.schema import migration_sets


def connect(path: Path | None = None, *, check_same_thread: bool = True) -> Database:
    """A connection to the database at ``path`` (default: the workbench's), migrated."""
    path = path or locations.db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path),
        timeout=get_settings().db_busy_timeout_ms / 1000,
        check_same_thread=check_same_thread,
    )
    db = Database(conn)
    conn.execute(f"PRAGMA busy_timeout = {get_settings().db_busy_timeout_ms}")
    db.enable_wal()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


def migrate(db: Database) -> None:
    """Apply every migration set that has pending migrations, in one write transaction."""
    if not any(migrations.pending(db) for migrations in migration_sets()):
        return
    # BEGIN IMMEDIATE takes the write lock up front, waiting out the busy timeout. Without
    # it, two connections opening a fresh database at once (the TUI's screens, a collector)
    # both see a migration pending, and the second's write fails at once with "database is
    # locked": SQLite does not wait for a read transaction that wants to become a write.
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the lock: another connection may have migrated meanwhile.
        for migrations in migration_sets():
            if migrations.pending(db):
                migrations.apply(db)
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()

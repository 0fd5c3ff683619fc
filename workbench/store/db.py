"""Opening the workbench database: WAL, a busy timeout, and every pending migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import stamina
from sqlite_utils import Database

from workbench import locations
from workbench.retries import log_retries_quietly
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
    _enable_wal(db)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


def _enable_wal(db: Database) -> None:
    """Switch the file to WAL, waiting out other connections for up to the busy timeout."""
    # Switching a fresh file from the rollback journal to WAL upgrades a read lock to a write
    # lock, and SQLite answers "database is locked" at once instead of calling the busy
    # handler (waiting could deadlock). Another process creating the database at the same
    # moment holds that write lock for milliseconds, so a short retry is what waiting means.
    log_retries_quietly()
    for attempt in stamina.retry_context(
        on=_is_locked,
        attempts=None,
        timeout=get_settings().db_busy_timeout_ms / 1000,
        wait_initial=0.005,
        wait_max=0.1,
        wait_jitter=0.01,
    ):
        with attempt:
            db.enable_wal()


def _is_locked(error: Exception) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


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

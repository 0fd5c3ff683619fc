"""Opening the database: many connections opening a fresh one at once all get it migrated."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from workbench.store.db import connect


def _open_and_list(path: str) -> str:
    try:
        db = connect(Path(path))
        try:
            return ",".join(sorted(db.table_names()))
        finally:
            db.conn.close()
    except Exception as error:  # reported to the test, which names it
        return f"error: {error!r}"


def test_a_fresh_database_opened_by_many_processes_at_once(tmp_path) -> None:
    """The TUI's screens, a collector and a CLI command can open a new database together:
    each gets every table, none fails with 'database is locked' or 'table already exists'."""
    for trial in range(4):
        path = str(tmp_path / f"trial-{trial}.db")
        with ProcessPoolExecutor(6) as pool:
            outcomes = set(pool.map(_open_and_list, [path] * 12))
        assert len(outcomes) == 1, outcomes
        assert "spans" in next(iter(outcomes)).split(",")


def test_a_fresh_database_waits_for_a_writer_before_switching_to_wal(tmp_path, capfd) -> None:
    """Another process holds the write lock of a new file still in rollback mode: switching to
    WAL failed at once with 'database is locked' (SQLite skips the busy handler for that lock
    upgrade; a fresh-clone CI failure). Opening waits for the writer, and prints nothing."""
    path = tmp_path / "fresh.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE early (x)")
    setup.close()
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, writer.execute, ["COMMIT"])
    release.start()
    try:
        db = connect(path)
    finally:
        release.join()
        writer.close()
    try:
        assert db.journal_mode == "wal"
        assert "spans" in db.table_names()
    finally:
        db.conn.close()
    assert capfd.readouterr().out == ""


def test_opening_a_migrated_database_writes_nothing(tmp_path) -> None:
    """A second open finds nothing pending and takes no write lock (readers stay cheap)."""
    path = tmp_path / "w.db"
    connect(path).conn.close()
    db = connect(path)
    try:
        assert not db.conn.in_transaction
        assert db.conn.total_changes == 0
    finally:
        db.conn.close()

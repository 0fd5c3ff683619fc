"""WAL checkpoints off the writer's path: a tuned writer, a background checkpointer."""

from __future__ import annotations

import sqlite3
import time

from workbench.core.collector.checkpoint import WRITER_CACHE_KIB, Checkpointer, tune_writer
from workbench.store.db import connect


def in_main_file(db_path) -> int:
    """Rows of ``t`` in the database file itself, ignoring the WAL (-1: no table there yet)."""
    conn = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    except sqlite3.OperationalError:
        return -1
    finally:
        conn.close()


def test_tuned_writer_leaves_checkpoints_to_the_checkpointer(tmp_path):
    db = connect(tmp_path / "w.db")
    tune_writer(db)
    tune_writer(db)  # idempotent
    assert db.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert db.conn.execute("PRAGMA cache_size").fetchone() == (-WRITER_CACHE_KIB,)
    db.conn.close()


def test_checkpointer_copies_the_wal_and_truncates_it_on_close(tmp_path):
    path = tmp_path / "w.db"
    db = connect(path)
    tune_writer(db)
    with db.conn:
        db.conn.execute("CREATE TABLE t (x)")
    checkpointer = Checkpointer(path, interval=0.02)
    with db.conn:
        db.conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(5000)])
    deadline = time.monotonic() + 5
    while in_main_file(path) != 5000:
        assert time.monotonic() < deadline, "the checkpointer never copied the WAL"
        time.sleep(0.02)
    db.conn.close()
    reader = sqlite3.connect(path)  # keeps the WAL file from being removed on close
    reader.execute("SELECT count(*) FROM t").fetchone()
    checkpointer.close()
    assert path.with_name("w.db-wal").stat().st_size == 0
    reader.close()


class Recorder:
    """Stands in for a connection and records the statements run on it."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str) -> Recorder:
        self.statements.append(sql)
        return self

    def fetchall(self) -> list:
        return []


def test_a_wal_past_the_limit_asks_for_a_restart_checkpoint(tmp_path):
    path = tmp_path / "w.db"
    connect(path).conn.close()
    relaxed = Checkpointer(path, interval=3600)
    strict = Checkpointer(path, interval=3600, restart_bytes=-1)
    recorder = Recorder()
    relaxed.checkpoint(recorder)
    strict.checkpoint(recorder)
    relaxed.close()
    strict.close()
    assert recorder.statements == [
        "PRAGMA wal_checkpoint(PASSIVE)",
        "PRAGMA wal_checkpoint(RESTART)",
    ]

"""Keeping WAL checkpoints off the writer's hot path.

By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000
pages, so one export in a few stalls on copying pages and two fsyncs. The
collector's writer turns that off (``tune_writer``) and this thread checkpoints
instead, on its own connection, without blocking the writer; only when the WAL
has grown past ``restart_bytes`` (sustained load, or readers pinning old pages)
does it ask for a RESTART checkpoint, which briefly holds new writes back.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from pathlib import Path

from sqlite_utils import Database

from workbench import locations
from workbench.settings import get_settings

WRITER_CACHE_KIB = 64 * 1024


# Writer connections already tuned (weak: a closed, dropped Database leaves the set).
_TUNED: weakref.WeakSet[Database] = weakref.WeakSet()


def tune_writer(db: Database) -> None:
    """Settings for the collector's writer connection: a larger cache, no inline checkpoints."""
    if db in _TUNED:
        return
    db.conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    _TUNED.add(db)


class Checkpointer:
    """A daemon thread that checkpoints the WAL every ``interval`` seconds until ``close()``.

    Pages written again and again (index leaves, summaries) are copied once per
    checkpoint, so a few seconds between checkpoints saves most of the copying.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        interval: float = 2.0,
        restart_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self._path = path or locations.db_path()
        self._interval = interval
        self._restart_bytes = restart_bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="workbench-collector-checkpoint", daemon=True
        )
        self._thread.start()

    def _wal_size(self) -> int:
        try:
            return self._path.with_name(self._path.name + "-wal").stat().st_size
        except OSError:
            return 0

    def _run(self) -> None:
        conn = sqlite3.connect(str(self._path), timeout=get_settings().db_busy_timeout_ms / 1000)
        try:
            while not self._stop.wait(self._interval):
                self.checkpoint(conn)
            # Leave a short WAL behind: the next process starts with a small file.
            self.checkpoint(conn, mode="TRUNCATE")
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection, mode: str | None = None) -> None:
        """One checkpoint; busy or locked databases are simply tried again next time."""
        if mode is None:
            mode = "RESTART" if self._wal_size() > self._restart_bytes else "PASSIVE"
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()

    def close(self) -> None:
        """Stop after a final checkpoint."""
        self._stop.set()
        self._thread.join()

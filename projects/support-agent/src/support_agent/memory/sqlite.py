"""Session history and spend in a local SQLite file (the default store)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

# Applied in order on open; PRAGMA user_version says how many have run. Append, never edit.
MIGRATIONS = [
    [
        """CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        "CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id, id)",
        """CREATE TABLE IF NOT EXISTS usage (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT,
            day TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            usd REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS usage_session ON usage (session_id)",
        "CREATE INDEX IF NOT EXISTS usage_day ON usage (day)",
        """CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            feedback TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
    ],
    # Daily totals, so the budget reads stay one-row lookups however long the ledger grows.
    [
        """CREATE TABLE IF NOT EXISTS usage_daily (
            day TEXT PRIMARY KEY,
            tokens INTEGER NOT NULL,
            usd REAL NOT NULL
        )""",
        """INSERT OR REPLACE INTO usage_daily (day, tokens, usd)
            SELECT day, SUM(tokens), SUM(usd) FROM usage GROUP BY day""",
    ],
]


class SQLiteStore:
    """A `SessionStore` in one SQLite file: one connection per store, WAL, a busy timeout.

    The connection is shared by the event loop and worker threads (readiness pings run in
    one), so every use holds a lock. `synchronous=NORMAL` is the WAL setting SQLite
    recommends: a commit survives the process crashing; only a power loss may drop the
    last commits.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=5.0, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            # IMMEDIATE: two processes opening a new file migrate one after the other.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                done = self._db.execute("PRAGMA user_version").fetchone()[0]
                for version, statements in enumerate(MIGRATIONS[done:], start=done + 1):
                    for statement in statements:
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write(self, statements: list[tuple[str, Any]]) -> None:
        """Run `(sql, params)` pairs in one transaction (a list of params runs executemany)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for sql, params in statements:
                    if isinstance(params, list):
                        self._db.executemany(sql, params)
                    else:
                        self._db.execute(sql, params)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._db.execute(sql, params).fetchone()[0]

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._db.close()

    def history(self, session_id: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [json.loads(row[0]) for row in reversed(rows)]

    def append(self, session_id: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a session."""
        rows = [(session_id, json.dumps(message)) for message in messages]
        self._write([("INSERT INTO messages (session_id, message) VALUES (?, ?)", rows)])

    def clear(self, session_id: str) -> None:
        """Forget a session's history."""
        self._write([("DELETE FROM messages WHERE session_id = ?", (session_id,))])

    def add_usage(self, session_id: str | None, tokens: int, usd: float, day: str) -> None:
        """Record spend for a session and a day (the ledger row and the day's total)."""
        self._write(
            [
                (
                    "INSERT INTO usage (session_id, day, tokens, usd) VALUES (?, ?, ?, ?)",
                    (session_id, day, tokens, usd),
                ),
                (
                    "INSERT INTO usage_daily (day, tokens, usd) VALUES (?, ?, ?) ON CONFLICT (day)"
                    " DO UPDATE SET tokens = tokens + excluded.tokens, usd = usd + excluded.usd",
                    (day, tokens, usd),
                ),
            ]
        )

    def session_tokens(self, session_id: str) -> int:
        """Tokens a session has used so far."""
        return int(
            self._one(
                "SELECT COALESCE(SUM(tokens), 0) FROM usage WHERE session_id = ?", (session_id,)
            )
        )

    def usd_for_day(self, day: str) -> float:
        """Dollars spent on a day."""
        return float(
            self._one("SELECT COALESCE(SUM(usd), 0) FROM usage_daily WHERE day = ?", (day,))
        )

    def usd_for_month(self, month: str) -> float:
        """Dollars spent in a month."""
        return float(
            self._one(
                "SELECT COALESCE(SUM(usd), 0) FROM usage_daily WHERE day >= ? AND day < ?",
                (f"{month}-00", f"{month}-99"),
            )
        )

    def add_feedback(self, feedback: dict[str, Any]) -> None:
        """Keep a user's problem report for review."""
        self._write([("INSERT INTO feedback (feedback) VALUES (?)", (json.dumps(feedback),))])

    def feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reports, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT feedback FROM feedback ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def ping(self) -> None:
        """Raise if the database cannot be queried."""
        with self._lock:
            self._db.execute("SELECT 1 FROM messages LIMIT 1").fetchall()

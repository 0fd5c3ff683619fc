"""Session history and spend in a local SQLite file (the default store)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id, id);
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT,
    day TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_session ON usage (session_id);
CREATE INDEX IF NOT EXISTS usage_day ON usage (day);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
"""


class SQLiteStore:
    """A `SessionStore` in one SQLite file (WAL, busy timeout; a connection per operation)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5.0)

    def history(self, session_id: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT message FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [json.loads(row[0]) for row in reversed(rows)]

    def append(self, session_id: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a session."""
        with closing(self._connect()) as db, db:
            db.executemany(
                "INSERT INTO messages (session_id, message) VALUES (?, ?)",
                [(session_id, json.dumps(message)) for message in messages],
            )

    def clear(self, session_id: str) -> None:
        """Forget a session's history."""
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM messages WHERE session_id = ?", (session_id,))

    def add_usage(self, session_id: str | None, tokens: int, usd: float, day: str) -> None:
        """Record spend for a session and a day."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO usage (session_id, day, tokens, usd) VALUES (?, ?, ?, ?)",
                (session_id, day, tokens, usd),
            )

    def session_tokens(self, session_id: str) -> int:
        """Tokens a session has used so far."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT COALESCE(SUM(tokens), 0) FROM usage WHERE session_id = ?", (session_id,)
            ).fetchone()
        return int(row[0])

    def usd_for_day(self, day: str) -> float:
        """Dollars spent on a day."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT COALESCE(SUM(usd), 0) FROM usage WHERE day = ?", (day,)
            ).fetchone()
        return float(row[0])

    def usd_for_month(self, month: str) -> float:
        """Dollars spent in a month."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT COALESCE(SUM(usd), 0) FROM usage WHERE day LIKE ?", (f"{month}-%",)
            ).fetchone()
        return float(row[0])

    def add_feedback(self, feedback: dict[str, Any]) -> None:
        """Keep a user's problem report for review."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO feedback (feedback) VALUES (?)", (json.dumps(feedback),))

    def feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reports, newest first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT feedback FROM feedback ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def ping(self) -> None:
        """Raise if the database cannot be opened and queried."""
        with closing(self._connect()) as db:
            db.execute("SELECT 1 FROM messages LIMIT 1").fetchall()

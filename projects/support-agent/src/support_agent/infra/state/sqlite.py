"""The embedded state store: one SQLite file, for one process (the default).

One connection in WAL mode, used from worker threads (`asyncio.to_thread`) behind a lock,
so no query runs on the event loop. Every read-check-write (approval decisions, budget
reservations, idempotency claims, rate limits) is one `BEGIN IMMEDIATE` transaction, so it
is atomic even with several processes on the same file. It is still one machine's disk:
replicas need `redis.RedisState`, and `workbench ship` refuses more than one replica here.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import stamina

from .base import BudgetExceeded

T = TypeVar("T")


def enable_wal(db: Any, error: type[Exception] = sqlite3.OperationalError) -> None:
    """Switch `db` to WAL, waiting up to 10 s for another process creating the same file.

    `error` is the driver's OperationalError (sqlean's for the RAG index).
    """

    # On a new file the switch upgrades a read lock to a write lock, and SQLite answers
    # "database is locked" at once rather than call the busy handler (waiting could
    # deadlock). A second worker starting at the same moment holds that lock for a few
    # milliseconds, so a short retry is the wait.
    def locked(raised: Exception) -> bool:
        return isinstance(raised, error) and "locked" in str(raised)

    for attempt in stamina.retry_context(
        on=locked, attempts=None, timeout=10.0, wait_initial=0.005, wait_max=0.1
    ):
        with attempt:
            db.execute("PRAGMA journal_mode=WAL")


# Applied in order on open; the `state_schema` row says how many have run. Append, never edit.
MIGRATIONS = [
    [
        """CREATE TABLE IF NOT EXISTS session_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_key TEXT NOT NULL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS session_messages_key ON session_messages (session_key, id)",
        "CREATE TABLE IF NOT EXISTS sessions (session_key TEXT PRIMARY KEY, expires_at REAL)",
        """CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY, status TEXT NOT NULL, record TEXT NOT NULL,
            created REAL NOT NULL, expires_at REAL NOT NULL
        )""",
        "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT)",
        """CREATE TABLE IF NOT EXISTS idempotency (
            key TEXT PRIMARY KEY, result TEXT, expires_at REAL NOT NULL
        )""",
        "CREATE TABLE IF NOT EXISTS rate_hits (caller TEXT NOT NULL, at REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS rate_hits_caller ON rate_hits (caller, at)",
        """CREATE TABLE IF NOT EXISTS counters (
            name TEXT PRIMARY KEY, value REAL NOT NULL, expires_at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS reservations (
            id TEXT PRIMARY KEY, amounts TEXT NOT NULL, expires_at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS cache (
            key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL
        )""",
        "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, report TEXT)",
    ],
    # Rate-limit hits expire with their window, so callers who stop calling leave nothing.
    [
        "ALTER TABLE rate_hits ADD COLUMN expires_at REAL NOT NULL DEFAULT 0",
        "CREATE INDEX IF NOT EXISTS rate_hits_expiry ON rate_hits (expires_at)",
    ],
]

# Expired rows are deleted on writes, at most this often.
_PRUNE_EVERY_S = 60.0


class SQLiteState:
    """A `StateStore` in one SQLite file (see the module docstring)."""

    def __init__(
        self, path: Path | str, session_ttl_s: float = 7 * 86400, max_messages: int = 500
    ) -> None:
        self.path = Path(path)
        self.session_ttl_s = session_ttl_s
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._last_prune = 0.0
        # Opened (and migrated) on first use, in a worker thread: building the store from
        # a request handler does no disk I/O on the event loop.
        self._conn: sqlite3.Connection | None = None

    # Plumbing ------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened and migrated on first use (call with the lock held)."""
        if self._conn is None:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                str(self.path), timeout=10.0, check_same_thread=False, isolation_level=None
            )
            enable_wal(db)
            # NORMAL is the WAL setting SQLite recommends: a commit survives a process crash.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                self._migrate(db)
            except BaseException:
                db.execute("ROLLBACK")
                db.close()
                raise
            db.execute("COMMIT")
            self._conn = db
        return self._conn

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one IMMEDIATE transaction (the write lock is taken up front)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._transaction, work)

    async def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        def read() -> list[tuple[Any, ...]]:
            with self._lock:
                return self._db.execute(sql, params).fetchall()

        return await asyncio.to_thread(read)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS state_schema (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM state_schema").fetchone()
        done = row[0] if row else 0
        for statements in MIGRATIONS[done:]:
            for statement in statements:
                db.execute(statement)
        db.execute("DELETE FROM state_schema")
        db.execute("INSERT INTO state_schema (version) VALUES (?)", (len(MIGRATIONS),))

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        if now - self._last_prune < _PRUNE_EVERY_S:
            return
        self._last_prune = now
        expired = "SELECT session_key FROM sessions WHERE expires_at < ?"
        db.execute(f"DELETE FROM session_messages WHERE session_key IN ({expired})", (now,))
        tables = ("sessions", "approvals", "idempotency", "counters", "reservations", "cache")
        for table in (*tables, "rate_hits"):
            db.execute(f"DELETE FROM {table} WHERE expires_at < ?", (now,))

    # Sessions ------------------------------------------------------------------------
    async def history(self, session_key: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first (none once it expired)."""
        rows = await self._read(
            "SELECT m.message FROM session_messages m JOIN sessions s USING (session_key)"
            " WHERE m.session_key = ? AND s.expires_at >= ? ORDER BY m.id DESC LIMIT ?",
            (session_key, time.time(), limit),
        )
        return [json.loads(row[0]) for row in reversed(rows)]

    async def append(self, session_key: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a session, keeping the last `max_messages`."""
        rows = [(session_key, json.dumps(message)) for message in messages]

        def write(db: sqlite3.Connection) -> None:
            now = time.time()
            self._prune(db, now)
            expired = db.execute(
                "SELECT 1 FROM sessions WHERE session_key = ? AND expires_at < ?",
                (session_key, now),
            ).fetchone()
            if expired:
                db.execute("DELETE FROM session_messages WHERE session_key = ?", (session_key,))
            db.execute(
                "INSERT INTO sessions (session_key, expires_at) VALUES (?, ?) ON CONFLICT"
                " (session_key) DO UPDATE SET expires_at = excluded.expires_at",
                (session_key, now + self.session_ttl_s),
            )
            db.executemany(
                "INSERT INTO session_messages (session_key, message) VALUES (?, ?)", rows
            )
            db.execute(
                "DELETE FROM session_messages WHERE session_key = ? AND id NOT IN (SELECT id"
                " FROM session_messages WHERE session_key = ? ORDER BY id DESC LIMIT ?)",
                (session_key, session_key, self.max_messages),
            )

        await self._run(write)

    async def clear(self, session_key: str) -> None:
        """Forget a session's history."""

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM session_messages WHERE session_key = ?", (session_key,))
            db.execute("DELETE FROM sessions WHERE session_key = ?", (session_key,))

        await self._run(write)

    # Approvals -----------------------------------------------------------------------
    async def put_approval(self, record: dict[str, Any], ttl_s: float) -> None:
        """Store an approval record for `ttl_s` seconds."""

        def write(db: sqlite3.Connection) -> None:
            now = time.time()
            self._prune(db, now)
            db.execute(
                "INSERT OR REPLACE INTO approvals (id, status, record, created, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    record["id"],
                    record.get("status", "pending"),
                    json.dumps(record),
                    now,
                    now + ttl_s,
                ),
            )

        await self._run(write)

    async def get_approval(self, approval_id: str) -> dict[str, Any] | None:
        """One unexpired approval record, or None."""
        rows = await self._read(
            "SELECT record FROM approvals WHERE id = ? AND expires_at >= ?",
            (approval_id, time.time()),
        )
        return json.loads(rows[0][0]) if rows else None

    async def list_approvals(self, status: str | None = "pending") -> list[dict[str, Any]]:
        """Unexpired approvals with `status` (None or "all": all), oldest first."""
        if status in (None, "all"):
            rows = await self._read(
                "SELECT record FROM approvals WHERE expires_at >= ? ORDER BY created",
                (time.time(),),
            )
        else:
            rows = await self._read(
                "SELECT record FROM approvals WHERE status = ? AND expires_at >= ?"
                " ORDER BY created",
                (status, time.time()),
            )
        return [json.loads(row[0]) for row in rows]

    async def decide_approval(
        self, approval_id: str, status: str, by: str, note: str | None = None
    ) -> dict[str, Any] | None:
        """Move a pending approval to `status` in one transaction; None if not pending."""

        def write(db: sqlite3.Connection) -> dict[str, Any] | None:
            row = db.execute(
                "SELECT record FROM approvals WHERE id = ? AND status = 'pending'"
                " AND expires_at >= ?",
                (approval_id, time.time()),
            ).fetchone()
            if row is None:
                return None
            record = json.loads(row[0])
            record.update(status=status, decided_by=by, decided_at=time.time(), note=note)
            db.execute(
                "UPDATE approvals SET status = ?, record = ? WHERE id = ?",
                (status, json.dumps(record), approval_id),
            )
            return record

        return await self._run(write)

    async def add_audit(self, event: dict[str, Any]) -> None:
        """Append an audit event."""
        await self._run(
            lambda db: db.execute("INSERT INTO audit (event) VALUES (?)", (json.dumps(event),))
        )

    async def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit events, newest first."""
        rows = await self._read("SELECT event FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [json.loads(row[0]) for row in rows]

    # Idempotency ---------------------------------------------------------------------
    async def claim_idempotency(self, key: str, ttl_s: float) -> bool:
        """True for the first claim of `key` while it lives."""

        def write(db: sqlite3.Connection) -> bool:
            now = time.time()
            db.execute("DELETE FROM idempotency WHERE key = ? AND expires_at < ?", (key, now))
            cursor = db.execute(
                "INSERT OR IGNORE INTO idempotency (key, result, expires_at) VALUES (?, NULL, ?)",
                (key, now + ttl_s),
            )
            return cursor.rowcount == 1

        return await self._run(write)

    async def put_idempotent_result(self, key: str, result: dict[str, Any], ttl_s: float) -> None:
        """Remember the result for `key`."""
        await self._run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO idempotency (key, result, expires_at) VALUES (?, ?, ?)",
                (key, json.dumps(result), time.time() + ttl_s),
            )
        )

    async def get_idempotent_result(self, key: str) -> dict[str, Any] | None:
        """The remembered result for `key`, or None."""
        rows = await self._read(
            "SELECT result FROM idempotency WHERE key = ? AND expires_at >= ?",
            (key, time.time()),
        )
        return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None

    # Rate limits ---------------------------------------------------------------------
    async def rate_limit_hit(self, caller: str, limit: int, window_s: int) -> tuple[bool, float]:
        """A moving window: the hits of the last `window_s` seconds, at most `limit`."""

        def write(db: sqlite3.Connection) -> tuple[bool, float]:
            now = time.time()
            self._prune(db, now)
            db.execute(
                "DELETE FROM rate_hits WHERE caller = ? AND at <= ?", (caller, now - window_s)
            )
            count, oldest = db.execute(
                "SELECT COUNT(*), MIN(at) FROM rate_hits WHERE caller = ?", (caller,)
            ).fetchone()
            if count >= limit:
                return False, max(0.0, oldest + window_s - now)
            db.execute(
                "INSERT INTO rate_hits (caller, at, expires_at) VALUES (?, ?, ?)",
                (caller, now, now + window_s),
            )
            return True, 0.0

        return await self._run(write)

    # Budgets -------------------------------------------------------------------------
    async def reserve_budget(
        self, amounts: Mapping[str, float], caps: Mapping[str, float], ttl_s: float
    ) -> str:
        """Add `amounts` to their counters unless a capped counter is full (one transaction)."""
        reservation = uuid.uuid4().hex

        def write(db: sqlite3.Connection) -> str:
            now = time.time()
            self._prune(db, now)
            for name, cap in caps.items():
                total = _counter(db, name, now)
                if total >= cap:
                    raise BudgetExceeded(name, total, cap)
            for name, amount in amounts.items():
                _add(db, name, amount, now + ttl_s, now)
            db.execute(
                "INSERT INTO reservations (id, amounts, expires_at) VALUES (?, ?, ?)",
                (reservation, json.dumps(dict(amounts)), now + ttl_s),
            )
            return reservation

        return await self._run(write)

    async def reconcile_budget(self, reservation: str, actual: Mapping[str, float]) -> None:
        """Swap a reservation's amounts for the actual spend."""

        def write(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT amounts, expires_at FROM reservations WHERE id = ?", (reservation,)
            ).fetchone()
            if row is None:
                return
            now = time.time()
            reserved = json.loads(row[0])
            for name in set(reserved) | set(actual):
                delta = actual.get(name, 0.0) - reserved.get(name, 0.0)
                _add(db, name, delta, row[1], now)
            db.execute("DELETE FROM reservations WHERE id = ?", (reservation,))

        await self._run(write)

    async def spend(self, counter: str) -> float:
        """A counter's total (spent plus reserved)."""
        rows = await self._read(
            "SELECT value FROM counters WHERE name = ? AND expires_at >= ?", (counter, time.time())
        )
        return float(rows[0][0]) if rows else 0.0

    async def spend_many(self, counters: Sequence[str]) -> dict[str, float]:
        """Several counters' totals in one query (one worker-thread hop, not one each)."""
        if not counters:
            return {}
        marks = ", ".join("?" * len(counters))
        rows = await self._read(
            f"SELECT name, value FROM counters WHERE name IN ({marks}) AND expires_at >= ?",
            (*counters, time.time()),
        )
        found = {str(name): float(value) for name, value in rows}
        return {name: found.get(name, 0.0) for name in counters}

    # Cache, feedback, health ---------------------------------------------------------
    async def cache_get(self, key: str) -> Any | None:
        """A cached value, or None."""
        rows = await self._read(
            "SELECT value FROM cache WHERE key = ? AND expires_at >= ?", (key, time.time())
        )
        return json.loads(rows[0][0]) if rows else None

    async def cache_put(self, key: str, value: Any, ttl_s: float) -> None:
        """Cache a JSON value for `ttl_s` seconds."""
        text = json.dumps(value, default=str)

        def write(db: sqlite3.Connection) -> None:
            now = time.time()
            self._prune(db, now)
            db.execute(
                "INSERT OR REPLACE INTO cache (key, value, expires_at) VALUES (?, ?, ?)",
                (key, text, now + ttl_s),
            )

        await self._run(write)

    async def add_feedback(self, report: dict[str, Any]) -> None:
        """Keep a user's problem report."""
        await self._run(
            lambda db: db.execute("INSERT INTO feedback (report) VALUES (?)", (json.dumps(report),))
        )

    async def feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reports, newest first."""
        rows = await self._read("SELECT report FROM feedback ORDER BY id DESC LIMIT ?", (limit,))
        return [json.loads(row[0]) for row in rows]

    async def ping(self) -> None:
        """Raise if the database cannot be queried."""
        await self._read("SELECT version FROM state_schema")

    async def close(self) -> None:
        """Close the connection."""

        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)


def _counter(db: sqlite3.Connection, name: str, now: float) -> float:
    row = db.execute(
        "SELECT value FROM counters WHERE name = ? AND expires_at >= ?", (name, now)
    ).fetchone()
    return float(row[0]) if row else 0.0


def _add(db: sqlite3.Connection, name: str, amount: float, expires_at: float, now: float) -> None:
    db.execute("DELETE FROM counters WHERE name = ? AND expires_at < ?", (name, now))
    db.execute(
        "INSERT INTO counters (name, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (name)"
        " DO UPDATE SET value = value + excluded.value,"
        " expires_at = MAX(expires_at, excluded.expires_at)",
        (name, amount, expires_at),
    )

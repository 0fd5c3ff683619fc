"""Session memory: a sliding window over history, and the spend ledger, in SQLite or Redis."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from support_agent.memory.base import SessionStore
from support_agent.memory.sqlite import SQLiteStore


def exercise(store: SessionStore) -> None:
    store.append("a", [{"role": "user", "content": f"m{i}"} for i in range(10)])
    store.append("b", [{"role": "user", "content": "other"}])
    assert [m["content"] for m in store.history("a", 3)] == ["m7", "m8", "m9"]
    assert len(store.history("b", 20)) == 1
    store.add_usage("a", 100, 0.25, "2025-03-01")
    store.add_usage("a", 50, 0.25, "2025-03-02")
    store.add_usage(None, 10, 1.0, "2025-04-01")
    assert store.session_tokens("a") == 150
    assert store.usd_for_day("2025-03-01") == pytest.approx(0.25)
    assert store.usd_for_month("2025-03") == pytest.approx(0.5)
    store.clear("a")
    assert store.history("a", 3) == []
    store.ping()


def test_sqlite_store(tmp_path):
    store = SQLiteStore(tmp_path / "mem.sqlite3")
    assert isinstance(store, SessionStore)
    exercise(store)


def test_sqlite_store_survives_a_restart(tmp_path):
    SQLiteStore(tmp_path / "m.sqlite3").append("s", [{"role": "user", "content": "hello"}])
    assert SQLiteStore(tmp_path / "m.sqlite3").history("s", 5)[0]["content"] == "hello"


def test_a_store_from_before_daily_totals_keeps_its_spend(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE usage (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT,"
            " day TEXT NOT NULL, tokens INTEGER NOT NULL, usd REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO usage (session_id, day, tokens, usd) VALUES ('s', '2025-03-01', 5, 0.5)"
        )
    store = SQLiteStore(path)
    store.add_usage("s", 5, 0.25, "2025-03-01")
    assert store.usd_for_day("2025-03-01") == pytest.approx(0.75)
    assert store.usd_for_month("2025-03") == pytest.approx(0.75)
    assert store.session_tokens("s") == 10
    # Opening it again migrates nothing twice.
    assert SQLiteStore(path).usd_for_day("2025-03-01") == pytest.approx(0.75)


def test_month_totals_do_not_leak_into_neighbouring_months(tmp_path):
    store = SQLiteStore(tmp_path / "m.sqlite3")
    days = {"2025-02-28": 1.0, "2025-03-01": 2.0, "2025-03-31": 4.0, "2025-04-01": 8.0}
    for day, usd in days.items():
        store.add_usage(None, 1, usd, day)
    assert store.usd_for_month("2025-03") == pytest.approx(6.0)


async def test_the_store_serves_the_event_loop_and_worker_threads(tmp_path):
    store = SQLiteStore(tmp_path / "t.sqlite3")

    def write(index: int) -> None:
        store.append("s", [{"role": "user", "content": f"m{index}"}])
        store.ping()

    await asyncio.gather(*(asyncio.to_thread(write, index) for index in range(20)))
    assert len(store.history("s", 100)) == 20


def test_redis_store_behind_the_same_interface():
    pytest.importorskip("redis")
    fakeredis = pytest.importorskip("fakeredis")
    from support_agent.memory.redis import RedisStore

    store = RedisStore(client=fakeredis.FakeRedis(decode_responses=True))
    assert isinstance(store, SessionStore)
    exercise(store)

"""The state store contract, on the embedded SQLite store and on a real Redis server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from support_agent.infra.state import BudgetExceeded, StateStore, state_from_url
from support_agent.infra.state.redis import RedisState
from support_agent.infra.state.sqlite import SQLiteState


@pytest.fixture(params=["sqlite", "redis"])
async def state(request, tmp_path) -> AsyncIterator[StateStore]:
    """A fresh store of each kind."""
    if request.param == "sqlite":
        store: StateStore = SQLiteState(tmp_path / "state.sqlite3")
    else:
        store = RedisState.from_url(request.getfixturevalue("redis_url"))
    assert isinstance(store, StateStore)
    yield store
    await store.close()


async def test_history_is_a_sliding_window_per_session(state):
    await state.append("a", [{"role": "user", "content": f"m{i}"} for i in range(10)])
    await state.append("b", [{"role": "user", "content": "other"}])
    assert [m["content"] for m in await state.history("a", 3)] == ["m7", "m8", "m9"]
    assert len(await state.history("b", 20)) == 1
    await state.clear("a")
    assert await state.history("a", 3) == []


async def test_sessions_expire(tmp_path):
    store = SQLiteState(tmp_path / "s.sqlite3", session_ttl_s=0.01)
    await store.append("a", [{"role": "user", "content": "hi"}])
    await asyncio.sleep(0.05)
    assert await store.history("a", 5) == []


async def test_an_approval_is_decided_once_however_many_try(state):
    record = {"id": "ap1", "tool": "issue_refund", "arguments": {}, "status": "pending"}
    await state.put_approval(record, ttl_s=60)
    assert [a["id"] for a in await state.list_approvals()] == ["ap1"]
    decided = await asyncio.gather(
        *(state.decide_approval("ap1", "approved", f"approver{i}") for i in range(10))
    )
    winners = [d for d in decided if d is not None]
    assert len(winners) == 1 and winners[0]["status"] == "approved"
    assert (await state.get_approval("ap1"))["decided_by"] == winners[0]["decided_by"]
    assert await state.list_approvals() == []
    assert len(await state.list_approvals("all")) == 1
    assert await state.decide_approval("ap1", "rejected", "late") is None
    assert await state.decide_approval("unknown", "approved", "x") is None


async def test_approvals_expire(state):
    await state.put_approval({"id": "old", "status": "pending"}, ttl_s=0.05)
    await asyncio.sleep(0.2)
    assert await state.get_approval("old") is None
    assert await state.list_approvals("all") == []
    assert await state.decide_approval("old", "approved", "x") is None


async def test_audit_and_feedback_are_kept_newest_first(state):
    for index in range(3):
        await state.add_audit({"n": index})
        await state.add_feedback({"n": index})
    assert [e["n"] for e in await state.audit_log(2)] == [2, 1]
    assert [e["n"] for e in await state.feedback()] == [2, 1, 0]


async def test_an_idempotency_key_is_claimed_once(state):
    claims = await asyncio.gather(*(state.claim_idempotency("k", 60) for _ in range(10)))
    assert claims.count(True) == 1
    assert await state.get_idempotent_result("k") is None
    await state.put_idempotent_result("k", {"refund": "r1"}, 60)
    assert await state.get_idempotent_result("k") == {"refund": "r1"}


async def test_the_rate_limit_is_a_moving_window(state):
    hits = [await state.rate_limit_hit("caller", 3, 60) for _ in range(4)]
    assert [allowed for allowed, _ in hits] == [True, True, True, False]
    assert 0 < hits[-1][1] <= 60
    assert (await state.rate_limit_hit("someone-else", 3, 60))[0]


async def test_reservations_stop_at_the_cap_and_reconcile_to_actual_spend(state):
    first = await state.reserve_budget({"usd": 0.6, "tokens": 50}, {"usd": 1.0}, 60)
    await state.reserve_budget({"usd": 0.6}, {"usd": 1.0}, 60)
    with pytest.raises(BudgetExceeded) as full:
        await state.reserve_budget({"usd": 0.01}, {"usd": 1.0}, 60)
    assert full.value.kind == "usd" and full.value.used == pytest.approx(1.2)
    await state.reconcile_budget(first, {"usd": 0.1, "tokens": 7})
    await state.reconcile_budget(first, {"usd": 0.1, "tokens": 7})  # once only
    assert await state.spend("usd") == pytest.approx(0.7)
    assert await state.spend("tokens") == 7


async def test_spend_many_reads_several_counters_at_once(state):
    await state.reserve_budget({"usd": 0.25, "tokens": 40}, {}, 60)
    totals = await state.spend_many(["tokens", "usd", "never-written"])
    assert totals == {"tokens": 40, "usd": pytest.approx(0.25), "never-written": 0.0}
    assert totals["usd"] == pytest.approx(await state.spend("usd"))
    assert await state.spend_many([]) == {}


async def test_concurrent_reservations_overshoot_by_at_most_one(state):
    async def reserve() -> bool:
        try:
            await state.reserve_budget({"usd": 0.3}, {"usd": 1.0}, 60)
        except BudgetExceeded:
            return False
        return True

    admitted = await asyncio.gather(*(reserve() for _ in range(50)))
    assert admitted.count(True) == 4  # 0, 0.3, 0.6, 0.9 are under the cap
    assert await state.spend("usd") == pytest.approx(1.2)


async def test_the_cache_keeps_json_values_for_their_time(state):
    await state.cache_put("k", {"content": "hi", "tool_calls": []}, 60)
    await state.cache_put("short", "x", 0.05)
    await asyncio.sleep(0.2)
    assert await state.cache_get("k") == {"content": "hi", "tool_calls": []}
    assert await state.cache_get("short") is None


async def test_building_the_sqlite_store_touches_no_disk_until_used(tmp_path):
    store = SQLiteState(tmp_path / "later" / "state.sqlite3")
    assert not (tmp_path / "later").exists()  # nothing ran on the event loop
    await store.ping()
    assert (tmp_path / "later" / "state.sqlite3").is_file()


async def test_every_redis_key_expires_but_the_records_kept_for_review(redis_url):
    store = RedisState.from_url(redis_url)
    await store.append("s", [{"role": "user", "content": "hi"}])
    await store.put_approval({"id": "ap", "status": "pending"}, ttl_s=60)
    await store.claim_idempotency("k", 60)
    await store.rate_limit_hit("caller", 5, 60)
    reservation = await store.reserve_budget({"usd:day:x": 0.1}, {"usd:day:x": 1.0}, 60)
    await store.reconcile_budget(reservation, {"usd:day:x": 0.05})
    await store.reserve_budget({"usd:day:x": 0.1}, {}, 60)  # one left unreconciled
    await store.cache_put("c", "v", 60)
    await store.add_audit({"a": 1})
    await store.add_feedback({"f": 1})
    kept = {"agent:audit", "agent:feedback", "agent:approvals"}  # the index drops expired ids
    keys = set(await store.client.keys("agent:*"))
    assert kept <= keys
    for key in keys - kept:
        assert await store.client.pttl(key) > 0, f"{key} never expires"
    await store.put_approval({"id": "brief", "status": "pending"}, ttl_s=0.05)
    await asyncio.sleep(0.2)
    await store.put_approval({"id": "next", "status": "pending"}, ttl_s=60)
    assert await store.client.zrange("agent:approvals", 0, -1) == ["ap", "next"]
    await store.close()


async def test_sqlite_state_survives_a_restart(tmp_path):
    await SQLiteState(tmp_path / "m.sqlite3").append("s", [{"role": "user", "content": "hi"}])
    assert (await SQLiteState(tmp_path / "m.sqlite3").history("s", 5))[0]["content"] == "hi"


async def test_sqlite_work_runs_off_the_event_loop(tmp_path):
    """While the store holds its lock (a slow disk), the loop keeps serving other tasks."""
    store = SQLiteState(tmp_path / "t.sqlite3")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    store._lock.acquire()
    write = asyncio.create_task(store.append("s", [{"role": "user", "content": "x"}]))
    before = ticks
    while ticks < before + 100:
        await asyncio.sleep(0)
    assert not write.done()  # it waits in a worker thread, and the loop still ran
    store._lock.release()
    await asyncio.wait_for(write, timeout=10)
    ticker.cancel()
    assert len(await store.history("s", 5)) == 1


async def test_a_store_from_the_first_schema_is_migrated(tmp_path):
    import sqlite3

    from support_agent.infra.state.sqlite import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("CREATE TABLE state_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO state_schema (version) VALUES (1)")
        db.execute("INSERT INTO rate_hits (caller, at) VALUES ('c', 0)")
    store = SQLiteState(path)
    assert await store.rate_limit_hit("c", 1, 60) == (True, 0.0)  # the old hit has expired
    assert (await store.rate_limit_hit("c", 1, 60))[0] is False
    await store.close()
    assert (await SQLiteState(path).rate_limit_hit("c", 1, 60))[0] is False  # migrated once


async def test_a_new_store_file_waits_for_another_process_creating_it(tmp_path):
    """Two workers opening a new file at once: switching it to WAL while the other holds the
    write lock failed at once with "database is locked" (SQLite does not wait there)."""
    import sqlite3
    import threading

    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE early (x)")
    setup.close()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, other.execute, ["COMMIT"])
    release.start()
    store = SQLiteState(path)
    try:
        assert await store.rate_limit_hit("c", 1, 60) == (True, 0.0)
    finally:
        release.join()
        other.close()
        await store.close()


def test_the_service_closes_its_store_when_it_stops(configure):
    from fastapi.testclient import TestClient

    from support_agent.api.app import create_app
    from support_agent.infra import state as state_module

    with TestClient(create_app()) as http:
        assert http.get("/healthz").status_code == 200
        store = state_module.get_state()
    assert state_module._state is None  # the next get_state() opens a fresh store
    assert store._conn is None  # the connection was closed, not leaked


def test_an_unknown_state_url_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend 'postgres'"):
        state_from_url("postgres://db/agent")

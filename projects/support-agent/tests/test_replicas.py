"""Two replicas of the service against one real Redis server: what one does, the other sees.

Each replica is its own app with its own connection to Redis; requests alternate between
them. The last test runs the same steps on two embedded SQLite stores and shows they do
*not* share, which is why `workbench ship` refuses replicas over the embedded store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from support_agent.api.app import create_app
from support_agent.infra import cache
from support_agent.infra.state import StateStore, set_state, state_from_url
from support_agent.tools import approvals

KEY = {"X-API-Key": "test-key"}
APPROVER = {"X-API-Key": "test-approver-key"}


@dataclass
class Replica:
    """One service instance: its app and its own state-store connection."""

    name: str
    app: FastAPI
    state: StateStore

    def activate(self) -> None:
        """Make this replica's store the process's (the replicas share one test process)."""
        set_state(self.state)
        cache.reset_cache()

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request to this replica."""
        self.activate()
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{self.name}") as http:
            return await http.request(method, path, **kwargs)

    async def run(self, text: str, session_id: str | None = None) -> httpx.Response:
        """POST /agent/run."""
        body = {"input": text, "session_id": session_id}
        return await self.call("POST", "/agent/run", json=body, headers=KEY)


@pytest.fixture
def replicas(configure):
    """Build two replicas on the state store `url` names (settings overrides allowed)."""
    built: list[Replica] = []

    def make(url: str, **overrides: Any) -> tuple[Replica, Replica]:
        settings = configure(
            state_url=url,
            api_keys="test-key:C-1001",
            approver_keys="test-approver-key",
            **overrides,
        )
        pair = tuple(
            Replica(name, create_app(), state_from_url(url, settings)) for name in ("a", "b")
        )
        built.extend(pair)
        return pair  # type: ignore[return-value]  # a 2-tuple by construction

    yield make
    set_state(None)


async def test_a_session_continues_on_the_other_replica(replicas, redis_url, model):
    a, b = replicas(redis_url)
    model.add("Hello Ada, how can I help?", "You told me your name is Ada.")
    first = await a.run("Hi, my name is Ada", session_id="s-1")
    second = await b.run("What is my name?", session_id="s-1")
    assert first.status_code == 200 and second.status_code == 200
    seen_by_b = [m["content"] for m in model.calls[1]["messages"]]
    assert "Hi, my name is Ada" in seen_by_b and "Hello Ada, how can I help?" in seen_by_b
    history = await a.call("GET", "/agent/sessions/s-1", headers=KEY)
    assert [m["content"] for m in history.json()["messages"]] == [
        "Hi, my name is Ada",
        "Hello Ada, how can I help?",
        "What is my name?",
        "You told me your name is Ada.",
    ]


async def test_an_approval_requested_on_one_replica_is_decided_on_the_other(
    replicas, redis_url, model
):
    a, b = replicas(redis_url)
    model.add(model.tool("issue_refund", order_id="12345", amount=79.99, reason="damaged"))
    asked = await a.run("Refund order 12345, it arrived damaged")
    assert asked.json()["status"] == "pending_approval"
    approval_id = asked.json()["tool_calls"][0]["result"]["approval_id"]

    listed = await b.call("GET", "/agent/approvals", headers=APPROVER)
    assert [r["id"] for r in listed.json()["approvals"]] == [approval_id]
    inspected = await b.call("GET", f"/agent/approvals/{approval_id}", headers=APPROVER)
    assert inspected.json()["tool"] == "issue_refund"
    approved = await b.call(
        "POST", f"/agent/approvals/{approval_id}/approve", json={"note": "ok"}, headers=APPROVER
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["outcome"]["status"] == "ok"

    again = await a.call("POST", f"/agent/approvals/{approval_id}/approve", headers=APPROVER)
    assert again.status_code == 409  # decided on B, and A knows it
    everything = await a.call("GET", "/agent/approvals?status=all", headers=APPROVER)
    assert [r["status"] for r in everything.json()["approvals"]] == ["approved"]
    a.activate()
    assert [e["decision"] for e in await approvals.audit_log()] == ["approved"]


async def test_the_rate_limit_is_shared(replicas, redis_url):
    a, b = replicas(redis_url, rate_limit="3/minute")
    report = {"trace_id": "ab" * 16, "rating": -1, "comment": "wrong"}
    codes = [
        (await replica.call("POST", "/feedback", json=report, headers=KEY)).status_code
        for replica in (a, b, a, b)
    ]
    assert codes == [202, 202, 202, 429]


async def test_the_daily_cap_is_shared(replicas, redis_url, model):
    a, b = replicas(redis_url, budgets={"usd_per_day": 0.00001})
    model.add(model.reply("Spent it.", input_tokens=120, output_tokens=20))
    first = await a.run("Hello")
    second = await b.run("Hello again")
    assert first.json()["status"] == "ok"
    assert second.json()["status"] == "budget_exceeded"
    assert "usd_per_day" in second.json()["error"]
    assert len(model.calls) == 1


async def test_embedded_stores_do_not_share(replicas, tmp_path, model):
    """The same steps on two SQLite files: B sees neither A's session nor its approval."""
    a, _ = replicas(f"sqlite:///{tmp_path}/a.sqlite3")
    b = Replica("b", a.app, state_from_url(f"sqlite:///{tmp_path}/b.sqlite3"))
    model.add(model.tool("issue_refund", order_id="12345", amount=79.99, reason="damaged"))
    asked = await a.run("Refund order 12345, it arrived damaged", session_id="s-1")
    assert asked.json()["status"] == "pending_approval"
    b.activate()
    assert await approvals.list_approvals() == []
    assert await b.state.history("s-1", 10) == []

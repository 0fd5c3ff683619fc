"""Budgets under concurrency: 50 turns at once never overshoot the daily cap by more than one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from support_agent.agents.entry import run_turn
from support_agent.infra.state import get_state

TURNS = 50
CAP_USD = 0.0003


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_fifty_concurrent_turns_never_overshoot_the_daily_cap(
    backend, configure, model, request, tmp_path
):
    url = (
        f"sqlite:///{tmp_path}/state.sqlite3"
        if backend == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    configure(
        state_url=url,
        budgets={"usd_per_day": CAP_USD},
        models={"default": "gpt-4o-mini", "fallbacks": []},
        budget_reserve_output_tokens=50,
    )
    # Every admitted model call waits at the gate, so all of them are in flight at once:
    # a governor that read the day's spend at turn start would admit all 50.
    gate = asyncio.Event()
    in_flight = 0

    async def slow_answer(_: dict[str, Any]) -> Any:
        nonlocal in_flight
        in_flight += 1
        await gate.wait()
        return model.reply("Done.", input_tokens=120, output_tokens=20)

    model.add(*[slow_answer] * TURNS)
    turns = [asyncio.create_task(run_turn({"input": f"Question number {i}"})) for i in range(TURNS)]
    async with asyncio.timeout(60):
        while in_flight + sum(t.done() for t in turns) < TURNS:
            await asyncio.sleep(0.01)
    gate.set()
    results = await asyncio.gather(*turns)

    statuses = [r["status"] for r in results]
    assert set(statuses) == {"ok", "budget_exceeded"}, statuses
    assert 1 < statuses.count("ok") < TURNS
    most_one_turn_costs = max(r["usage"]["cost_usd"] for r in results)
    spent = await get_state().spend(f"usd:day:{datetime.now(UTC).date().isoformat()}")
    assert spent == pytest.approx(sum(r["usage"]["cost_usd"] for r in results))
    assert spent <= CAP_USD + most_one_turn_costs


async def test_one_caller_cannot_spend_everyone_s_day(configure, model):
    configure(budgets={"usd_per_day": 1.0, "usd_per_day_per_caller": 0.00001})
    model.add(model.reply("Spent.", input_tokens=120, output_tokens=20), "Still serving others.")
    greedy = {"id": "greedy", "customer_id": "C-1001"}
    first = await run_turn({"input": "Hello", "caller": greedy})
    second = await run_turn({"input": "Hello again", "caller": greedy})
    other = await run_turn({"input": "Hello", "caller": {"id": "other", "customer_id": "C-1002"}})
    assert first["status"] == "ok" and second["status"] == "budget_exceeded"
    assert "usd_per_day_per_caller" in second["error"]
    assert other["status"] == "ok"

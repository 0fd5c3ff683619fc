"""The budget governor: limits per request, session and day, alerts at thresholds."""

from __future__ import annotations

import pytest

from support_agent.agents.entry import run_turn
from support_agent.infra.budget import BudgetExceeded, BudgetGovernor
from support_agent.infra.settings import Budgets, get_settings
from support_agent.infra.state import get_state


def test_budgets_come_from_workbench_toml():
    budgets = get_settings().budgets
    assert budgets.tokens_per_session == 100000
    assert budgets.usd_per_day == 5.0
    assert budgets.alert_thresholds == [0.5, 0.8, 1.0]


async def test_an_exhausted_session_budget_gets_a_graceful_answer(model):
    model.add(model.reply("First answer.", input_tokens=800, output_tokens=100))
    budget = {"tokens_per_session": 1000}
    first = await run_turn({"input": "Hi", "session_id": "s", "budget": budget})
    assert first["status"] == "ok"
    second = await run_turn({"input": "And again?", "session_id": "s", "budget": budget})
    assert second["status"] == "budget_exceeded"
    assert "usage budget" in second["output"]
    assert "tokens_per_session" in second["error"]
    assert len(model.calls) == 1


async def test_a_request_budget_smaller_than_the_prompt_stops_before_the_call(model, spans):
    result = await run_turn({"input": "Hi", "budget": {"tokens_per_request": 5}})
    assert result["status"] == "budget_exceeded"
    assert model.calls == []
    alerts = [e for e in spans.one("invoke_agent").events if e.name == "budget.alert"]
    assert alerts and alerts[0].attributes["workbench.budget.kind"] == "tokens_per_request"


async def test_alerts_fire_once_at_each_threshold():
    governor = await BudgetGovernor.start(Budgets(tokens_per_request=1000), get_state())
    assert await governor.record(400, 0.0) == []
    assert [a["workbench.budget.threshold"] for a in await governor.record(100, 0.0)] == [0.5]
    assert [a["workbench.budget.threshold"] for a in await governor.record(350, 0.0)] == [0.8]
    assert [a["workbench.budget.threshold"] for a in await governor.record(200, 0.0)] == [1.0]
    assert await governor.record(100, 0.0) == []


async def test_daily_dollars_carry_across_turns():
    state = get_state()
    first = await BudgetGovernor.start(Budgets(usd_per_day=1.0), state)
    await first.check_before_call(0, 0.1)
    await first.record(100, 1.0)
    second = await BudgetGovernor.start(Budgets(usd_per_day=1.0), state)
    with pytest.raises(BudgetExceeded) as exceeded:
        await second.check_before_call(0, 0.1)
    assert exceeded.value.kind == "usd_per_day"


async def test_alerts_are_span_events_on_the_agent_span(model, spans):
    model.add(model.reply("ok", input_tokens=100, output_tokens=20))
    await run_turn({"input": "Hi", "budget": {"tokens_per_request": 200}})
    events = [e for e in spans.one("invoke_agent").events if e.name == "budget.alert"]
    assert {e.attributes["workbench.budget.threshold"] for e in events} >= {0.5}
    assert spans.one("invoke_agent").attributes["workbench.budget.tokens_per_request.limit"] == 200

"""Tools: validation, policy, approval, retries, circuit breaker, timeouts, idempotency."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from support_agent.agents.entry import run_turn
from support_agent.infra.settings import Features
from support_agent.tools import approvals, context
from support_agent.tools.base import Risk, Tool, ToolError, TransientToolError
from support_agent.tools.registry import ToolRegistry
from support_agent.tools.shop import (
    REFUNDS,
    RefundArgs,
    get_registry,
    issue_refund,
    shop_tools,
)


class NoArgs(BaseModel):
    pass


def flaky_tool(failures: int, **options) -> tuple[Tool, list[int]]:
    calls: list[int] = []

    async def run(_: NoArgs) -> dict:
        calls.append(1)
        if len(calls) <= failures:
            raise TransientToolError("warehouse API busy")
        return {"ok": True}

    return Tool("flaky", "sometimes fails", NoArgs, run, retry_wait_s=0.0, **options), calls


def test_tool_names_and_arguments_match_the_mock_rules():
    schemas = {t.name: t.schema()["function"] for t in shop_tools()}
    assert set(schemas) == {
        "search_knowledge_base",
        "lookup_order",
        "check_return_eligibility",
        "issue_refund",
    }
    assert set(schemas["search_knowledge_base"]["parameters"]["properties"]) == {"query", "top_k"}
    assert set(schemas["issue_refund"]["parameters"]["properties"]) == {
        "order_id",
        "amount",
        "reason",
    }
    risks = {t.name: t.risk for t in shop_tools()}
    assert risks["issue_refund"] is Risk.HIGH and risks["lookup_order"] is Risk.LOW


async def test_arguments_are_validated_before_the_call():
    outcome = await get_registry().execute("lookup_order", {"order_id": "abc"})
    assert outcome.status == "invalid_arguments"
    assert "order_id" in outcome.error
    bad_json = await get_registry().execute("lookup_order", "{not json")
    assert bad_json.status == "invalid_arguments"


@pytest.mark.parametrize(
    ("order_id", "eligible"),
    [("12345", True), ("34567", False), ("56789", False), ("23456", False)],
)
async def test_return_eligibility(order_id, eligible):
    outcome = await get_registry().execute("check_return_eligibility", {"order_id": order_id})
    assert outcome.status == "ok"
    assert outcome.result["eligible"] is eligible


async def test_knowledge_base_search_finds_the_return_policy():
    # The shop's own tools: a project may replace this one (tools/extensions.py).
    outcome = await ToolRegistry(shop_tools()).execute(
        "search_knowledge_base", {"query": "return policy"}
    )
    assert outcome.result[0]["id"] == "kb-returns"
    assert len(outcome.result) <= 3


async def test_high_risk_tool_waits_for_approval_then_runs_once(model, spans):
    model.add(model.tool("issue_refund", order_id="12345", amount=79.99, reason="damaged"))
    result = await run_turn({"input": "Refund order 12345, it arrived damaged"})
    assert result["status"] == "pending_approval"
    assert result["tool_calls"][0]["status"] == "pending_approval"
    assert "approval" in result["output"] and "$79.99" in result["output"]
    verdicts = [s.attributes["workbench.guardrail.verdict"] for s in spans.named("guardrail tool")]
    assert verdicts == ["block"]
    approval_id = result["tool_calls"][0]["result"]["approval_id"]
    record, first = await approvals.decide(get_registry(), approval_id, True, "approver-1", None)
    assert record["status"] == "approved" and record["decided_by"] == "approver-1"
    assert first.status == "ok" and len(REFUNDS) == 1
    with pytest.raises(approvals.NotPending):
        await approvals.decide(get_registry(), approval_id, True, "approver-2", None)
    assert len(REFUNDS) == 1


async def test_refund_above_the_order_total_is_refused_by_policy():
    outcome = await get_registry().execute(
        "issue_refund", {"order_id": "12345", "amount": 500, "reason": "angry"}
    )
    assert outcome.status == "blocked"
    assert "exceeds what is left to refund" in outcome.error


@pytest.mark.parametrize(
    ("order_id", "why"),
    [("34567", "window"), ("56789", "final-sale"), ("23456", "not delivered")],
)
async def test_the_refund_tool_itself_refuses_ineligible_orders(order_id, why):
    # Whoever calls the tool function directly (not through the registry's policy) still
    # meets the business rules.
    args = RefundArgs(order_id=order_id, amount=1.0, reason="customer asked")
    with pytest.raises(ToolError, match=why):
        await issue_refund(args)
    assert REFUNDS == {}


async def test_the_refund_tool_only_acts_for_the_callers_customer():
    args = RefundArgs(order_id="12345", amount=1.0, reason="customer asked")
    other = context.ToolContext(caller_id="c", customer_id="C-1003")
    with context.acting_for(other), pytest.raises(ToolError, match="not found"):
        await issue_refund(args)
    with context.acting_for(context.ToolContext(caller_id="c", customer_id="C-1001")):
        assert (await issue_refund(args))["status"] == "issued"


async def test_feature_flag_disables_refunds(configure):
    configure(features={"refunds": False})
    registry = get_registry()
    assert "issue_refund" not in [s["function"]["name"] for s in registry.schemas()]
    outcome = await registry.execute(
        "issue_refund", {"order_id": "12345", "amount": 10, "reason": "test"}
    )
    assert outcome.status == "blocked" and "feature flag" in outcome.error


async def test_unknown_tools_are_blocked():
    outcome = await get_registry().execute("delete_database", {})
    assert outcome.status == "blocked"


async def test_transient_errors_are_retried(spans):
    tool, calls = flaky_tool(failures=2)
    outcome = await ToolRegistry([tool]).execute("flaky", {})
    assert outcome.status == "ok" and outcome.attempts == 3 and len(calls) == 3
    span = spans.one("execute_tool flaky")
    assert [e.attributes["workbench.retry.attempt"] for e in span.events] == [1, 2]


async def test_retries_give_up_after_the_attempt_limit():
    tool, calls = flaky_tool(failures=10, attempts=2)
    outcome = await ToolRegistry([tool]).execute("flaky", {})
    assert outcome.status == "error" and len(calls) == 2


async def test_circuit_breaker_opens_after_repeated_failures():
    tool, calls = flaky_tool(failures=100, attempts=1)
    registry = ToolRegistry([tool], breaker_fail_max=3)
    statuses = [(await registry.execute("flaky", {})).status for _ in range(5)]
    assert statuses[:2] == ["error", "error"]
    assert statuses[2:] == ["circuit_open"] * 3
    assert len(calls) == 3


async def test_a_hanging_tool_times_out_within_its_limit(configure):
    configure(tool_faults={"slow": "hang"})

    async def never(_: NoArgs) -> None:
        raise AssertionError("the injected hang comes first")

    registry = ToolRegistry([Tool("slow", "hangs", NoArgs, never, timeout_s=0.2)])
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = await registry.execute("slow", {})
    assert outcome.status == "timeout" and "0.2s" in outcome.error
    assert loop.time() - started < 1.0


async def test_output_is_truncated_to_the_tool_limit():
    async def big(_: NoArgs) -> str:
        return "x" * 10_000

    registry = ToolRegistry([Tool("big", "large output", NoArgs, big, max_output_chars=200)])
    outcome = await registry.execute("big", {})
    assert len(outcome.result) <= 200 and outcome.result.endswith("[truncated]")


async def test_a_failing_tool_degrades_gracefully(model, configure):
    configure(tool_faults={"lookup_order": "error"})
    model.add(model.tool("lookup_order", order_id="12345"), "Sorry, I can't see orders right now.")
    result = await run_turn({"input": "Where is order 12345?"})
    assert result["status"] == "ok"
    assert result["tool_calls"][0]["status"] == "error"
    assert "can't see orders" in result["output"]


def test_tool_schemas_are_built_once_per_set_of_enabled_tools(configure):
    configure(features=Features(refunds=True))
    registry = get_registry()
    first = registry.schemas()
    assert registry.schemas() is first
    assert "issue_refund" in [schema["function"]["name"] for schema in first]
    configure(features=Features(refunds=False))
    names = [schema["function"]["name"] for schema in registry.schemas()]
    assert "issue_refund" not in names and "lookup_order" in names

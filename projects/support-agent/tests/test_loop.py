"""The agent loop: answers, tool calls, limits, timeouts and loop detection."""

from __future__ import annotations

import gc

from support_agent.agents import llm
from support_agent.agents.entry import run_turn
from support_agent.agents.loop import estimate_tokens


async def test_answers_directly(model):
    model.add("Standard shipping takes 3 to 5 business days.")
    result = await run_turn({"input": "How long does shipping take?"})
    assert result["status"] == "ok"
    assert result["output"] == "Standard shipping takes 3 to 5 business days."
    assert result["steps"] == 1
    assert result["tool_calls"] == []
    assert len(result["trace_id"]) == 32 and int(result["trace_id"], 16)
    assert result["usage"]["input_tokens"] > 0 and result["usage"]["cost_usd"] > 0
    assert result["error"] is None


async def test_calls_tools_then_answers(model):
    model.add(
        model.tool("lookup_order", order_id="12345"),
        model.tool("check_return_eligibility", order_id="12345"),
        "Order 12345 can be returned; you have 25 days left.",
    )
    result = await run_turn({"input": "Help me return order 12345"})
    assert result["status"] == "ok"
    assert [c["name"] for c in result["tool_calls"]] == ["lookup_order", "check_return_eligibility"]
    assert all(c["status"] == "ok" for c in result["tool_calls"])
    assert result["tool_calls"][1]["result"]["eligible"] is True
    assert result["steps"] == 3
    last_messages = model.calls[-1]["messages"]
    tool_messages = [m for m in last_messages if m["role"] == "tool"]
    assert len(tool_messages) == 2 and '"eligible": true' in tool_messages[1]["content"]


async def test_stops_at_max_steps(model, configure):
    configure(max_steps=3, loop_threshold=10)
    model.add(*[model.tool("lookup_order", order_id=str(10000 + i)) for i in range(5)])
    result = await run_turn({"input": "Where are my orders?"})
    assert result["status"] == "error"
    assert "max steps (3)" in result["error"]
    assert result["steps"] == 3
    assert len(model.calls) == 3


async def test_detects_a_loop_of_identical_tool_calls(model, configure):
    configure(max_steps=10, loop_threshold=3)
    model.add(*[model.tool("lookup_order", order_id="12345") for _ in range(10)])
    result = await run_turn({"input": "Where is order 12345?"})
    assert result["status"] == "error"
    assert "loop detected: lookup_order called 3 times" in result["error"]
    assert len(result["tool_calls"]) == 2
    assert len(model.calls) == 3


async def test_step_timeout(model, configure):
    configure(step_timeout_s=0.2, llm_num_retries=0)
    model.add(model.hang)
    result = await run_turn({"input": "hello"})
    assert result["status"] == "error"
    assert "step timed out after 0.2s" in result["error"]
    assert "try again" in result["output"]


async def test_session_timeout(model, configure):
    configure(step_timeout_s=5, session_timeout_s=0.3, llm_num_retries=0)
    model.add(model.hang)
    result = await run_turn({"input": "hello"})
    assert result["status"] == "error"
    assert result["error"] == "session timed out after 0.3s"


async def test_unknown_prompt_version_is_a_clear_error(model):
    result = await run_turn({"input": "hi", "prompt_version": "v99"})
    assert result["status"] == "error"
    assert "unknown prompt version 'v99'" in result["error"]
    assert model.calls == []


async def test_prompt_version_selects_the_system_prompt(model):
    model.add("ok", "ok")
    await run_turn({"input": "hi", "prompt_version": "v1"})
    await run_turn({"input": "hi there", "prompt_version": "v2"})
    v1, v2 = (call["messages"][0]["content"] for call in model.calls)
    sentence = "Always call check_return_eligibility before promising a return or refund."
    assert sentence not in v1 and sentence in v2


async def test_session_history_is_remembered(model):
    model.add("Hi Alex!", "You asked about shipping.")
    await run_turn({"input": "Hi, I'm Alex", "session_id": "s1"})
    await run_turn({"input": "What did I just say?", "session_id": "s1"})
    messages = model.calls[1]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Hi, I'm Alex"


async def test_accepts_a_conversation_as_input(model):
    model.add("Sure.")
    conversation = [
        {"role": "user", "content": "My email is ana@example.com"},
        {"role": "assistant", "content": "Thanks."},
        {"role": "user", "content": "Can you help?"},
    ]
    result = await run_turn({"input": conversation})
    assert result["status"] == "ok"
    sent = model.calls[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert "ana@example.com" not in sent[1]["content"]


def test_prompt_size_estimate_stays_close_to_the_tokenizer():
    messages = [
        {"role": "system", "content": "You are a helpful support agent for an online shop. " * 20},
        {"role": "user", "content": "Where is order 12345?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup_order", "arguments": '{"order_id": "12345"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"status": "ok", "result": "shipped"}'},
    ]
    exact = llm.litellm_module().token_counter(model="gpt-4o-mini", messages=messages)
    estimate = estimate_tokens("gpt-4o-mini", messages)
    assert abs(estimate - exact) <= max(10, exact * 0.1), (estimate, exact)


async def test_what_a_turn_loaded_is_exempt_from_later_garbage_collections(model):
    model.add("Hello!")
    await run_turn({"input": "Hi"})
    assert gc.get_freeze_count() > 1000

"""The workbench's warm-up: loads what a turn needs without calling the model or leaving a trace."""

from __future__ import annotations

from support_agent.agents import llm
from support_agent.agents.entry import run_turn, warm_up


async def test_warm_up_loads_the_turns_router_without_a_model_call_or_a_span(model, spans):
    request = {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1", "api_key": "k"}
    llm._routers.clear()
    assert await warm_up(request) == {"model": "openai/gpt-4o-mini"}
    assert len(llm._routers) == 1
    assert model.calls == [] and spans.all() == []
    # The turn then reuses that router: none is built for it.
    model.add("Hello! How can I help?")
    result = await run_turn({**request, "input": "hi"})
    assert result["status"] == "ok" and len(llm._routers) == 1

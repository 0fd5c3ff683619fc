"""The tool-calling loop: call the model, run the tools it asks for, stop on an answer or limit."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..infra.budget import BudgetGovernor
from ..infra.cache import ResponseCache
from ..infra.logs import get_logger
from ..infra.settings import get_settings
from ..infra.stream_redaction import StreamRedactor
from ..tools.base import ToolOutcome
from ..tools.registry import ToolRegistry
from . import llm
from .routing import ModelTarget

log = get_logger("agent")

EventSink = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class Limits:
    """How far one turn may go."""

    max_steps: int = 8
    step_timeout_s: float = 30.0
    loop_threshold: int = 3


@dataclass
class LoopOutcome:
    """How the loop ended."""

    status: str
    output: str = ""
    error: str | None = None
    model: str | None = None
    steps: int = 0
    tool_calls: list[ToolOutcome] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    # Why a turn failed, for the API's status code: blocked, budget, model,
    # model_unavailable, timeout or error (None when it did not fail).
    failure: str | None = None
    retry_after_s: int | None = None


class LoopStop(Exception):
    """The loop must end with `status` and `error` (max steps, a detected loop)."""

    def __init__(self, status: str, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@lru_cache(maxsize=2048)
def _text_tokens(model: str, text: str) -> int:
    """Tokens of one text by litellm's tokenizer for `model` (a rough count if that fails)."""
    try:
        return int(llm.litellm_module().token_counter(model=model, text=text))
    except Exception:
        return len(text) // 4


def _price(model: str) -> tuple[float, float]:
    """(USD per input token, USD per output token) from litellm's map; 0 when unknown."""
    table = llm.litellm_module().model_cost
    entry = table.get(model) or table.get(model.split("/", 1)[-1]) or {}
    return (
        float(entry.get("input_cost_per_token") or 0.0),
        float(entry.get("output_cost_per_token") or 0.0),
    )


def estimate_call(
    target: ModelTarget, messages: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[int, float]:
    """(prompt tokens, the call's cost at most) for the budget's reservation.

    The cost assumes the dearest model the call may reach (fallbacks included) and a reply
    of `max_tokens` (the request's, else AGENT_BUDGET_RESERVE_OUTPUT_TOKENS).
    """
    prompt = estimate_tokens(target.primary, messages)
    reply = params.get("max_tokens") or get_settings().budget_reserve_output_tokens
    usd = max(
        prompt * inp + int(reply) * out
        for inp, out in (_price(model) for model in (target.primary, *target.fallbacks))
    )
    return prompt, usd


def estimate_tokens(model: str, messages: list[dict[str, Any]]) -> int:
    """Prompt tokens of `messages`: each text counted once and remembered, plus framing.

    The system prompt and the earlier messages repeat on every step and turn, so counting
    texts (not whole conversations) makes each step tokenize only what is new. Framing is
    OpenAI's: 3 tokens per message and 3 to prime the reply.
    """
    total = 3
    for message in messages:
        total += 3 + _text_tokens(model, str(message.get("content") or ""))
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += _text_tokens(model, f"{function.get('name')}{function.get('arguments')}")
    return total


async def run_loop(
    *,
    target: ModelTarget,
    messages: list[dict[str, Any]],
    registry: ToolRegistry,
    governor: BudgetGovernor,
    limits: Limits,
    params: dict[str, Any],
    outcome: LoopOutcome,
    cache: ResponseCache | None = None,
    on_event: EventSink | None = None,
) -> LoopOutcome:
    """Run until the model answers; fills `outcome` as it goes (so a timeout keeps the partial)."""
    seen: Counter[str] = Counter()
    tools = registry.schemas()
    for step in range(1, limits.max_steps + 1):
        await governor.check_before_call(*estimate_call(target, messages, params))
        failures: list[str] = []
        redactor, on_delta = _delta_sink(on_event)
        try:
            # The step timeout covers the whole chain: attempts, backoff and fallbacks.
            async with asyncio.timeout(limits.step_timeout_s):
                result = await llm.complete(
                    target, messages, tools, params, cache, failures, on_delta=on_delta
                )
        except TimeoutError:
            why = f"model step timed out after {limits.step_timeout_s:g}s"
            if failures:
                why += f" (last error: {failures[-1]}; {len(failures)} failed attempts)"
            raise LoopStop("error", why) from None
        outcome.steps = step
        outcome.model = result.model
        outcome.input_tokens += result.input_tokens
        outcome.output_tokens += result.output_tokens
        cost = result.cost_usd or 0.0
        outcome.cost_usd += cost
        await governor.record(result.input_tokens + result.output_tokens, cost)
        if on_event:
            if rest := redactor.flush():
                await on_event("delta", {"text": rest})
            await on_event("step", {"step": step, "model": result.model})
        if not result.tool_calls:
            outcome.status, outcome.output = "ok", result.content or ""
            return outcome
        messages.append(_assistant_message(result))
        pending: ToolOutcome | None = None
        for call in result.tool_calls:
            signature = f"{call['name']}:{_canonical(call['arguments'])}"
            seen[signature] += 1
            if seen[signature] >= limits.loop_threshold:
                raise LoopStop(
                    "error",
                    f"loop detected: {call['name']} called {seen[signature]} times "
                    "with the same arguments",
                )
            done = await registry.execute(call["name"], call["arguments"], call_id=call["id"])
            outcome.tool_calls.append(done)
            if on_event:
                await on_event("tool_call", done.record())
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": done.for_model()}
            )
            if done.status == "pending_approval":
                pending = done
        if pending is not None:
            outcome.status = "pending_approval"
            outcome.output = approval_message(pending)
            return outcome
    raise LoopStop("error", f"max steps ({limits.max_steps}) reached without an answer")


def _delta_sink(on_event: EventSink | None) -> tuple[StreamRedactor, llm.DeltaSink | None]:
    """A redactor and the callback that streams the model's text as `delta` events."""
    redactor = StreamRedactor()
    if on_event is None:
        return redactor, None

    async def on_delta(text: str) -> None:
        if released := redactor.feed(text):
            await on_event("delta", {"text": released})

    return redactor, on_delta


def approval_message(pending: ToolOutcome) -> str:
    """What the customer hears while a person reviews a high-risk action."""
    args = pending.arguments
    if pending.name == "issue_refund":
        amount = args.get("amount")
        amount_text = f"${amount:.2f} " if isinstance(amount, int | float) else ""
        what = f"a refund of {amount_text}for order {args.get('order_id')}"
    else:
        what = f"the action {pending.name}"
    return (
        f"I've submitted {what} for approval by our support team "
        f"(reference {pending.approval_id}). You'll be notified as soon as it's approved."
    )


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments or "{}"), sort_keys=True)
    except json.JSONDecodeError:
        return arguments


def _assistant_message(result: llm.LLMResult) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": result.content,
        "tool_calls": [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
            for call in result.tool_calls
        ],
    }

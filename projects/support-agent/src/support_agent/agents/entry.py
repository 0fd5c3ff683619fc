"""The agent's entry point: `run_turn(request) -> result`, as the workbench and the API call it."""

from __future__ import annotations

import asyncio
import gc
import uuid
from typing import Any

from opentelemetry.trace import Status, StatusCode

from ..infra import guardrails, tracing
from ..infra.budget import BUDGET_REACHED_MESSAGE, BudgetExceeded, BudgetGovernor, effective_budgets
from ..infra.cache import get_cache
from ..infra.logs import bind_ids, configure_logging, get_logger
from ..infra.settings import Settings, get_settings
from ..infra.state import get_state
from ..tools.shop import get_registry
from .llm import LLMError
from .loop import EventSink, Limits, LoopOutcome, LoopStop, run_loop
from .prompts import load_prompts
from .routing import choose_target

log = get_logger("agent")

REFUSAL = (
    "I can't help with that request. I can help with your orders, returns, refunds, "
    "shipping and our store policies."
)
TOO_LONG = "Your message is too long for me to process. Please shorten it and try again."
SORRY = (
    "Sorry, I couldn't finish handling your request just now. Please try again in a moment, "
    "or contact our support team."
)


async def run_turn(
    request: dict[str, Any],
    on_event: EventSink | None = None,
    *,
    wait_for_trace: bool = True,
) -> dict[str, Any]:
    """Run one agent turn (see the request and result keys in README.md).

    With `wait_for_trace` (the workbench's contract) the turn's spans are exported before
    it returns; the service passes False and lets the batch processor export them.
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    session_id = request.get("session_id") or None
    bind_ids(request_id=request.get("request_id") or uuid.uuid4().hex, session_id=session_id)
    common: dict[str, Any] = {
        tracing.AGENT_NAME: settings.project.name,
        tracing.MODEL_SOURCE: settings.model_source,
    }
    if session_id:
        common[tracing.CONVERSATION_ID] = session_id
    common.update(_primitive(request.get("span_attributes") or {}))
    outcome = LoopOutcome(status="error")
    token = tracing.TURN_ATTRIBUTES.set(common)
    try:
        with tracing.span(
            f"invoke_agent {settings.project.name}", {tracing.OPERATION: "invoke_agent"}
        ) as span:
            try:
                version, system = load_prompts().get(request.get("prompt_version"))
            except (KeyError, ValueError, OSError) as error:
                outcome.error = str(error).strip("'\"")
                outcome.output = SORRY
            else:
                common[tracing.PROMPT_VERSION] = version
                span.set_attribute(tracing.PROMPT_VERSION, version)
                await _turn(request, settings, system, session_id, common, outcome, span, on_event)
            span.set_attributes(
                {"workbench.status": outcome.status, "workbench.steps": outcome.steps}
            )
            if outcome.model:
                span.set_attribute(tracing.RESPONSE_MODEL, outcome.model)
            if outcome.status == "error":
                span.set_status(Status(StatusCode.ERROR, outcome.error or ""))
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        tracing.TURN_ATTRIBUTES.reset(token)
    if wait_for_trace:
        await tracing.flush_async()
    _freeze_after_first_turn()
    log.info(
        "turn_done",
        status=outcome.status,
        steps=outcome.steps,
        model=outcome.model,
        cost_usd=round(outcome.cost_usd, 6),
        trace_id=trace_id,
    )
    return {
        "output": outcome.output,
        "status": outcome.status,
        "trace_id": trace_id,
        "steps": outcome.steps,
        "tool_calls": [call.record() for call in outcome.tool_calls],
        "usage": {
            "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens,
            "cost_usd": outcome.cost_usd,
        },
        "model": outcome.model,
        "error": outcome.error,
    }


async def _turn(
    request: dict[str, Any],
    settings: Settings,
    system: str,
    session_id: str | None,
    common: dict[str, Any],
    outcome: LoopOutcome,
    span: Any,
    on_event: EventSink | None,
) -> None:
    history, text = _split_input(request.get("input", ""))
    guard = guardrails.check_input(text, settings.max_input_chars)
    if guard.blocked:
        outcome.status = "blocked"
        outcome.error = f"{guard.name}: {guard.reason}"
        outcome.output = TOO_LONG if guard.name == "input_length" else REFUSAL
        return
    state = get_state()
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if history:
        messages += [
            {"role": m["role"], "content": guardrails.redact_pii(str(m.get("content", ""))).text}
            for m in history
        ]
    elif session_id:
        messages += await state.history(session_id, settings.memory_window)
    messages.append({"role": "user", "content": guard.text})
    target = choose_target(request, guard.text, settings)
    span.set_attributes(
        {
            tracing.REQUEST_MODEL: target.primary,
            tracing.PROVIDER: target.primary.split("/", 1)[0]
            if "/" in target.primary
            else "openai",
            "workbench.routing.reason": target.reason,
        }
    )
    governor = await BudgetGovernor.start(
        effective_budgets(settings.budgets, request.get("budget")), state, session_id
    )
    # Evals need independent samples, so eval runs never read the cache.
    use_cache = settings.features.response_cache and not common.get("workbench.eval_run")
    limits = Limits(settings.max_steps, settings.step_timeout_s, settings.loop_threshold)
    try:
        async with asyncio.timeout(settings.session_timeout_s):
            await run_loop(
                target=target,
                messages=messages,
                registry=get_registry(),
                governor=governor,
                limits=limits,
                params=dict(request.get("params") or {}),
                outcome=outcome,
                cache=get_cache() if use_cache else None,
                on_event=on_event,
            )
    except BudgetExceeded as error:
        outcome.status, outcome.output, outcome.error = (
            "budget_exceeded",
            BUDGET_REACHED_MESSAGE,
            str(error),
        )
    except LoopStop as error:
        outcome.status, outcome.output, outcome.error = error.status, SORRY, error.error
    except LLMError as error:
        outcome.status, outcome.output, outcome.error = "error", SORRY, str(error)
    except TimeoutError:
        outcome.status, outcome.output = "error", SORRY
        outcome.error = f"session timed out after {settings.session_timeout_s:g}s"
    finally:
        await governor.commit()
        for alert in governor.alerts:
            span.add_event("budget.alert", alert)
        span.set_attributes(governor.span_attributes())
    checked = guardrails.check_output(outcome.output)
    outcome.output = checked.text
    if session_id and outcome.status in ("ok", "pending_approval"):
        await state.append(
            session_id,
            [
                {"role": "user", "content": guard.text},
                {"role": "assistant", "content": outcome.output},
            ],
        )


_frozen = False


def _freeze_after_first_turn() -> None:
    """Exempt what startup and the first turn loaded from later garbage collections.

    litellm and its lazily imported parts leave ~400k long-lived objects; otherwise every
    full collection walks them all again and pauses the event loop, so every turn in
    flight, for 100 ms or more.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def _split_input(value: Any) -> tuple[list[dict[str, Any]], str]:
    """(earlier messages, the latest user message) from a string or a conversation list."""
    if isinstance(value, list):
        messages = [
            m for m in value if isinstance(m, dict) and m.get("role") in ("user", "assistant")
        ]
        for index in range(len(messages) - 1, -1, -1):
            if messages[index]["role"] == "user":
                return messages[:index], str(messages[index].get("content", ""))
        return messages, ""
    return [], str(value)


def _primitive(attributes: dict[str, Any]) -> dict[str, Any]:
    """Only values OpenTelemetry accepts as attributes."""
    return {str(k): v for k, v in attributes.items() if isinstance(v, str | bool | int | float)}

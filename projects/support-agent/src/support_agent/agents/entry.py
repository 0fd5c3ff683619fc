"""The agent's entry point: `run_turn(request) -> result`, as the workbench and the API call it."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import Status, StatusCode

from ..infra import guardrails, metrics, tracing
from ..infra.budget import BUDGET_REACHED_MESSAGE, BudgetExceeded, BudgetGovernor, effective_budgets
from ..infra.cache import get_cache
from ..infra.logs import bind_ids, configure_logging, get_logger
from ..infra.settings import Settings, get_settings
from ..infra.state import get_state
from ..tools import context
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
# Inputs up to this many characters run the input guardrails on the event loop itself.
INLINE_GUARD_CHARS = 1_000


async def run_turn(
    request: dict[str, Any],
    on_event: EventSink | None = None,
    *,
    wait_for_trace: bool = True,
) -> dict[str, Any]:
    """Run one agent turn (see the request and result keys in README.md).

    With `wait_for_trace` (the workbench's contract) the turn's spans are exported before
    it returns; the service passes False and lets the batch processor export them. A
    request with `"wait_for_trace": false` skips the wait too: the workbench's evals send it
    for cases no check of which reads the trace, and call `flush_traces` before the process
    exits.
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    started = time.perf_counter()
    session_id = request.get("session_id") or None
    request_id = request.get("request_id") or uuid.uuid4().hex
    bind_ids(request_id=request_id, session_id=session_id)
    caller = _tool_context(request, request_id, session_id)
    common: dict[str, Any] = {
        tracing.AGENT_NAME: settings.project.name,
        tracing.MODEL_SOURCE: settings.model_source,
    }
    if session_id:
        common[tracing.CONVERSATION_ID] = session_id
    common.update(_primitive(request.get("span_attributes") or {}))
    outcome = LoopOutcome(status="error")
    token = tracing.TURN_ATTRIBUTES.set(common)
    acting = context.set_current(caller)
    try:
        with tracing.span(
            f"invoke_agent {settings.project.name}", {tracing.OPERATION: "invoke_agent"}
        ) as span:
            try:
                version, system = load_prompts().get(request.get("prompt_version"))
            except (KeyError, ValueError, OSError) as error:
                outcome.error = str(error).strip("'\"")
                outcome.output = SORRY
                # An unknown version is the caller's mistake; an unreadable file is ours.
                outcome.failure = "bad_request" if isinstance(error, KeyError) else "error"
            else:
                common[tracing.PROMPT_VERSION] = version
                span.set_attribute(tracing.PROMPT_VERSION, version)
                await _turn(
                    request,
                    settings,
                    system,
                    session_store_key(request, session_id),
                    common,
                    outcome,
                    span,
                    on_event,
                )
            span.set_attributes(
                {"workbench.status": outcome.status, "workbench.steps": outcome.steps}
            )
            if settings.trace_content and outcome.output:
                reply = _traceable(outcome.output)
                span.set_attribute(
                    tracing.OUTPUT_MESSAGES, tracing.messages_attribute("assistant", reply)
                )
            if outcome.model:
                span.set_attribute(tracing.RESPONSE_MODEL, outcome.model)
            if outcome.status == "error":
                span.set_status(Status(StatusCode.ERROR, outcome.error or ""))
            trace_id = format(span.get_span_context().trace_id, "032x")
    finally:
        tracing.TURN_ATTRIBUTES.reset(token)
        context.reset_current(acting)
    if wait_for_trace and request.get("wait_for_trace") is not False:
        await tracing.flush_async()
    _freeze_after_first_turn()
    metrics.observe_turn(outcome.status, time.perf_counter() - started, outcome.failure)
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
        "failure": outcome.failure or ("error" if outcome.status == "error" else None),
        **({"retry_after_s": outcome.retry_after_s} if outcome.retry_after_s else {}),
    }


def flush_traces() -> None:
    """Export every span still buffered (the workbench calls it before a runner child exits,
    since turns sent with `"wait_for_trace": false` return before their spans are exported)."""
    tracing.flush_started()


def session_store_key(request: dict[str, Any], session_id: str | None) -> str | None:
    """Where a session's history and spend live: namespaced by the caller, when there is one.

    Two API callers that pick the same session_id get two unrelated sessions; in-process
    callers (the workbench) keep the plain id.
    """
    if not session_id:
        return None
    caller = request.get("caller")
    return f"{caller['id']}:{session_id}" if caller else session_id


async def session_history(caller_id: str, session_id: str, limit: int) -> list[dict[str, Any]]:
    """A caller's own session, as the turns of that session read it (oldest first)."""
    key = session_store_key({"caller": {"id": caller_id}}, session_id) or ""
    return await get_state().history(key, limit)


def _traceable(text: str) -> str:
    """`text` as a trace may keep it: PII and credential-shaped strings replaced."""
    return guardrails.redact_secrets(guardrails.redact_pii(text).text).text


def _tool_context(
    request: dict[str, Any], request_id: str, session_id: str | None
) -> context.ToolContext:
    """Who the turn's tool calls act for: the API's authenticated caller, else in-process."""
    request_key = request.get("idempotency_key") or request_id
    caller = request.get("caller")
    if not caller:
        return context.ToolContext(request_key=request_key, session_id=session_id)
    return context.ToolContext(
        caller_id=str(caller["id"]),
        customer_id=caller.get("customer_id"),
        request_key=request_key,
        session_id=session_id,
    )


async def _turn(
    request: dict[str, Any],
    settings: Settings,
    system: str,
    session_key: str | None,
    common: dict[str, Any],
    outcome: LoopOutcome,
    span: Any,
    on_event: EventSink | None,
) -> None:
    history, text = _split_input(request.get("input", ""))
    value = request.get("input")
    if isinstance(value, str) and len(value) <= INLINE_GUARD_CHARS:
        # A short message is checked in well under a millisecond: cheaper here than the
        # worker-thread hop (a thread wake-up and two GIL hand-offs) would be.
        guard = _check_turn_input(value, text, settings.max_input_chars)
    else:
        # Guardrail regexes over a large input take CPU for a while: a worker thread keeps
        # the event loop (and /healthz, and every other turn) answering meanwhile.
        guard = await asyncio.to_thread(_check_turn_input, value, text, settings.max_input_chars)
    if guard.blocked:
        outcome.status, outcome.failure = "blocked", "blocked"
        outcome.error = f"{guard.name}: {guard.reason}"
        outcome.output = TOO_LONG if guard.name == "input_length" else REFUSAL
        return
    state = get_state()
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if history:
        messages += await asyncio.to_thread(_redacted_history, history)
    elif session_key:
        messages += await state.history(session_key, settings.memory_window)
    messages.append({"role": "user", "content": guard.text})
    if settings.trace_content:
        span.set_attribute(
            tracing.INPUT_MESSAGES, tracing.messages_attribute("user", _traceable(guard.text))
        )
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
        effective_budgets(settings.budgets, request.get("budget")),
        state,
        session_key,
        caller=context.current().caller_id,
    )
    # Evals need independent samples, so eval runs never read the cache; recording and
    # replaying must reach the model (which stores or serves the cassette), not the cache.
    use_cache = (
        settings.features.response_cache
        and not common.get("workbench.eval_run")
        and common.get(tracing.MODEL_SOURCE) not in ("record", "replay")
    )
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
        outcome.failure, outcome.retry_after_s = "budget", retry_after_s(error.kind)
        metrics.BUDGET_EXCEEDED.labels(error.kind).inc()
    except LoopStop as error:
        outcome.status, outcome.output, outcome.error = error.status, SORRY, error.error
        outcome.failure = "timeout" if "timed out" in error.error else "error"
    except LLMError as error:
        outcome.status, outcome.output, outcome.error = "error", SORRY, str(error)
        outcome.failure = "model_unavailable" if "cooling down" in str(error) else "model"
    except TimeoutError:
        outcome.status, outcome.output = "error", SORRY
        outcome.error = f"session timed out after {settings.session_timeout_s:g}s"
        outcome.failure = "timeout"
    finally:
        await governor.commit()
        metrics.observe_budgets(governor.usage())
        for alert in governor.alerts:
            span.add_event("budget.alert", alert)
        span.set_attributes(governor.span_attributes())
    checked = guardrails.check_output(outcome.output)
    outcome.output = checked.text
    if session_key and outcome.status in ("ok", "pending_approval"):
        await state.append(
            session_key,
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


def _check_turn_input(value: Any, latest: str, max_chars: int) -> guardrails.GuardrailResult:
    """The input guardrails on the latest message, then on the rest of a conversation."""
    guard = guardrails.check_input(latest, max_chars)
    if not guard.blocked:
        # A client-supplied conversation is attacker-controlled in every message and role.
        guard = _check_conversation(value, latest, max_chars) or guard
    return guard


def _redacted_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Client-supplied earlier messages with PII redacted."""
    return [
        {"role": m["role"], "content": guardrails.redact_pii(str(m.get("content", ""))).text}
        for m in history
    ]


def _check_conversation(
    value: Any, latest: str, max_chars: int
) -> guardrails.GuardrailResult | None:
    """The first blocking verdict on any message (any role) of a conversation but `latest`."""
    if not isinstance(value, list):
        return None
    skipped = False
    for message in value:
        content = message.get("content", "") if isinstance(message, dict) else message
        text = str(content or "")
        if text == latest and not skipped:
            skipped = True  # the latest user message was checked already
            continue
        verdict = guardrails.check_input(text, max_chars)
        if verdict.blocked:
            return verdict
    return None


def retry_after_s(budget_kind: str) -> int | None:
    """Seconds until a daily or monthly budget resets (UTC); None for other budgets."""
    now = datetime.now(UTC)
    if "day" in budget_kind:
        reset = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    elif "month" in budget_kind:
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        reset = (first + timedelta(days=32)).replace(day=1)
    else:
        return None
    return max(1, int((reset - now).total_seconds()))


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


async def warm_up(request: dict[str, Any]) -> dict[str, Any]:
    """Load what a turn with `request` (its input left out) would, so the first turn costs
    what later ones do: litellm, the router for its model with one offline call, the
    tokenizer, prompts, tools, tracer and state store. No model call, no span, no state
    written. The workbench calls it once the project's runner has started (the service
    warms up at start-up instead: api/readiness.py)."""
    from . import llm
    from .loop import estimate_tokens

    settings = get_settings()
    configure_logging(settings.log_level)
    target = choose_target(request, "warm-up", settings)
    router = await asyncio.to_thread(llm.get_router, target)
    messages = [{"role": "user", "content": "warm-up"}]
    await router.acompletion(model=target.primary, messages=messages, mock_response="ok")
    await asyncio.to_thread(estimate_tokens, target.primary, messages)
    await asyncio.to_thread(load_prompts)
    await asyncio.to_thread(get_registry)
    tracing.get_tracer()
    await get_state().ping()
    return {"model": target.primary}

"""Dynamic probes that run agent turns against the mock with injected faults and read the traces."""

from __future__ import annotations

import json
import uuid
from typing import Any

from workbench.core.readiness.checks_reliability import (
    fallback_config,
    llm_file,
    retry_config,
    tool_retry_evidence,
)
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes import rules as R
from workbench.core.runner.protocol import TurnOutcome

NOT_RUN = "dynamic probes were skipped (--static-only); run `workbench check` to prove it"


def _turn(
    ctx: CheckContext,
    request: dict[str, Any],
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[dict[str, Any] | None, str]:
    """(turn result, problem) — the problem says why there is no usable result."""
    outcome: TurnOutcome = ctx.harness.run_turn(request, env=env, timeout=timeout)
    if not outcome.ok or outcome.result is None:
        return None, f"the turn ended with {outcome.error_kind}: {outcome.message}"
    return outcome.result, ""


def _llm_spans(trace) -> list:
    return [s for s in (trace.spans if trace else []) if s.kind == "llm"]


def _retry_events(span) -> list[dict[str, Any]]:
    return [e for e in span.events if e.get("name") == "retry"]


def _short(text: str | None, limit: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def probe_retries(ctx: CheckContext) -> Verdict:
    """429s are retried with backoff until the call succeeds; 400 and 403 are not retried."""
    evidence, hint = retry_config(ctx)
    if not evidence:
        return Verdict.fail(hint, "no retry configuration on the model calls")
    evidence += tool_retry_evidence(ctx)[:1]
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    h = ctx.harness
    request = h.request(R.marker("retry"), model=f"openai/{R.RETRY_MODEL}")
    result, problem = _turn(ctx, request)
    if result is None:
        return Verdict.error(problem, *evidence)
    trace_id = result.get("trace_id")
    output = result.get("output") or ""
    if R.RETRY_OK not in output:
        why = (
            "a fallback model answered instead: the 429s were not retried"
            if R.FALLBACK_OK in output
            else (f"status {result.get('status')}: {_short(result.get('error') or output)}")
        )
        return Verdict.fail(
            hint, *evidence, f"trace {trace_id}: {R.RETRY_429_COUNT} x HTTP 429 injected; {why}"
        )
    trace = h.trace(trace_id)
    events = [e for span in _llm_spans(trace) for e in _retry_events(span)]
    if len(events) < R.RETRY_429_COUNT:
        return Verdict.fail(
            "record each failed attempt on the `chat` span (a `retry` event with "
            "`workbench.retry.attempt`), so traces show retries",
            *evidence,
            f"trace {trace_id}: answered after {R.RETRY_429_COUNT} x HTTP 429, but the trace shows "
            f"{len(events)} retry events",
        )
    times = sorted(e.get("time_ns") or 0 for e in events)
    end = max((s.end_ns for s in _llm_spans(trace)), default=times[-1])
    gaps = [(b - a) / 1e9 for a, b in zip(times, [*times[1:], end], strict=False)]
    waits = ", ".join(f"{g:.2f}s" for g in gaps)
    if min(gaps) < 0.2:
        return Verdict.fail(
            "wait between attempts with exponential backoff (litellm's Router does when it has one "
            "deployment per model group; do not retry immediately)",
            *evidence,
            f"trace {trace_id}: {len(events)} retries without backoff (waits {waits})",
        )
    evidence.append(
        f"trace {trace_id}: {len(events)} x HTTP 429 retried with backoff (waits {waits}), "
        "then answered"
    )
    for status in (400, 403):
        request = h.request(R.marker(f"client-{status}"), model=f"openai/{R.CLIENT_ERROR_MODEL}")
        result, problem = _turn(ctx, request)
        if result is None:
            return Verdict.error(problem, *evidence)
        if R.RETRIED_CLIENT_ERROR in (result.get("output") or ""):
            return Verdict.fail(
                f"never retry HTTP {status}: decide each retry from the status of the provider's "
                "response, not litellm's exception class (litellm may report a "
                f"{status} as a generic APIError, which a class-based RetryPolicy retries), in "
                f"{llm_file(ctx)}",
                *evidence,
                f"trace {result.get('trace_id')}: HTTP {status} was retried",
            )
        evidence.append(
            f"trace {result.get('trace_id')}: HTTP {status} not retried ({result.get('status')})"
        )
    return Verdict.ok(*evidence)


def probe_fallback(ctx: CheckContext) -> Verdict:
    """With the primary model down a fallback answers; with a tool down the turn still answers."""
    evidence, hint = fallback_config(ctx)
    if not evidence:
        return Verdict.fail(hint, "no fallback models configured")
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    h = ctx.harness
    result, problem = _turn(ctx, h.request(R.marker("fallback"), model=f"openai/{R.DOWN_MODEL}"))
    if result is None:
        return Verdict.error(problem, *evidence)
    trace_id = result.get("trace_id")
    if result.get("status") != "ok" or R.FALLBACK_OK not in (result.get("output") or ""):
        return Verdict.fail(
            hint,
            *evidence,
            f"trace {trace_id}: primary down (HTTP 503): status {result.get('status')}, "
            f"{_short(result.get('error') or result.get('output'))}",
        )
    trace = h.trace(trace_id)
    marked = [s for s in _llm_spans(trace) if s.attributes.get("workbench.fallback.from")]
    note = "trace marks workbench.fallback.from" if marked else "trace does not mark the fallback"
    evidence.append(
        f"trace {trace_id}: primary down (HTTP 503) -> {result.get('model')} answered; {note}"
    )
    tools = R.probe_tools(ctx.source)
    if not tools:
        evidence.append("no low-risk tool to take down; tool degradation not probed")
        return Verdict.ok(*evidence)
    tool = tools[1] if len(tools) > 1 else tools[0]
    result, problem = _turn(
        ctx, h.request(R.marker("tool-down")), env=_fault_env(ctx, tools, down_only=len(tools) == 1)
    )
    if result is None:
        return Verdict.error(problem, *evidence)
    calls = [c for c in result.get("tool_calls") or [] if c.get("name") == tool.name]
    if not calls:
        return Verdict.error(f"the model's call of {tool.name} never reached the tool", *evidence)
    if result.get("status") != "ok" or calls[0].get("status") == "ok":
        return Verdict.fail(
            "when a tool fails, return its error to the model as the tool result and let it answer "
            "(catch the tool's exception in "
            f"{ctx.module_rel('tools.registry', ctx.pkg('tools', 'registry.py'))})",
            *evidence,
            f"trace {result.get('trace_id')}: {tool.name} down: turn {result.get('status')}, "
            f"tool {calls[0].get('status')}",
        )
    evidence.append(
        f"trace {result.get('trace_id')}: {tool.name} down -> tool {calls[0].get('status')}, "
        "agent still answered"
    )
    return Verdict.ok(*evidence)


def _fault_env(
    ctx: CheckContext, tools: list[R.ProbeTool], *, down_only: bool = False
) -> dict[str, str]:
    """The probe environment; with a single tool, the tool-down probe needs its own."""
    if down_only:
        return ctx.harness.env(AGENT_TOOL_FAULTS=json.dumps({tools[0].name: "error"}))
    return ctx.harness.env()


def probe_hung_tool(ctx: CheckContext) -> Verdict:
    """A tool that hangs is cut off at its timeout and the agent still answers."""
    tools = R.probe_tools(ctx.source)
    if not tools:
        return Verdict.fail(
            f"declare tools with a `timeout_s` in a registry ({ctx.pkg('tools', 'base.py')}) so a "
            "hung tool can be cut off"
        )
    tool = tools[0]
    limit = tool.timeout_s
    evidence = [f"{tool.where}: {tool.name} timeout_s={limit}"]
    if limit is None:
        return Verdict.fail(f"give {tool.name} an explicit `timeout_s=`", *evidence)
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    wait = limit * 2 + 20
    result, problem = _turn(
        ctx,
        ctx.harness.request(R.marker("tool-hang")),
        env=_fault_env(ctx, tools),
        timeout=wait,
    )
    if result is None and "timeout" in problem:
        return Verdict.fail(
            f"cut each tool call off at its own timeout (`asyncio.timeout(tool.timeout_s)`) in "
            f"{ctx.module_rel('tools.registry', ctx.pkg('tools', 'registry.py'))}",
            *evidence,
            f"{tool.name} made to hang: never cut off; the turn was still running after "
            f"{wait:g} s ({problem})",
        )
    if result is None:
        return Verdict.error(problem, *evidence)
    calls = [c for c in result.get("tool_calls") or [] if c.get("name") == tool.name]
    trace_id = result.get("trace_id")
    if not calls:
        return Verdict.error(
            f"the model's call of {tool.name} never reached the tool (trace {trace_id})", *evidence
        )
    if calls[0].get("status") == "ok":
        return Verdict.error(
            f"{tool.name} did not hang: the project ignores AGENT_TOOL_FAULTS (the chaos hook the "
            "probe uses to make a tool hang)",
            *evidence,
        )
    trace = ctx.harness.trace(trace_id)
    spans = [
        s for s in (trace.spans if trace else []) if s.kind == "tool" and s.tool_name == tool.name
    ]
    took = spans[0].duration_ms / 1000 if spans else None
    if took is None:
        return Verdict.fail(
            "open an `execute_tool <name>` span per tool call",
            *evidence,
            f"trace {trace_id}: no tool span",
        )
    if took > limit * 1.2 + 0.5 or took < limit * 0.8:
        return Verdict.fail(
            f"cut each tool call off at its own timeout (`asyncio.timeout(tool.timeout_s)`) in "
            f"{ctx.module_rel('tools.registry', ctx.pkg('tools', 'registry.py'))}",
            *evidence,
            f"trace {trace_id}: hung {tool.name} ended after {took:.2f}s (limit {limit:g}s)",
        )
    if result.get("status") != "ok":
        return Verdict.fail(
            "after a tool times out, give the model the error and let it answer",
            *evidence,
            f"trace {trace_id}: timeout fired after {took:.2f}s but the turn ended "
            f"{result.get('status')}",
        )
    evidence.append(
        f"trace {trace_id}: hung {tool.name} cut off after {took:.2f}s (limit {limit:g}s), "
        f"tool status {calls[0].get('status')}, agent answered"
    )
    return Verdict.ok(*evidence)


def probe_session_budget(ctx: CheckContext) -> Verdict:
    """Once a session's token budget is spent, the agent answers gracefully without the model."""
    budgets = ctx.project.config.budgets
    where = f"workbench.toml:{ctx.toml.line('budgets', 'tokens_per_session')}"
    if budgets.tokens_per_session is None:
        return Verdict.fail(
            "set [budgets] tokens_per_session in workbench.toml and enforce it before each "
            "model call",
            f"workbench.toml:{ctx.toml.line('budgets')}: no tokens_per_session",
        )
    evidence = [f"{where}: tokens_per_session = {budgets.tokens_per_session}"]
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    h = ctx.harness
    session = f"readiness-{uuid.uuid4().hex[:12]}"
    first, problem = _turn(ctx, h.request(R.marker("budget"), session_id=session))
    if first is None:
        return Verdict.error(problem, *evidence)
    spent = int((first.get("usage") or {}).get("input_tokens") or 0) + int(
        (first.get("usage") or {}).get("output_tokens") or 0
    )
    limit = spent + 1
    second, problem = _turn(
        ctx, h.request(R.marker("budget"), session_id=session, budget={"tokens_per_session": limit})
    )
    if second is None:
        return Verdict.error(problem, *evidence)
    trace_id = second.get("trace_id")
    facts = (
        f"trace {trace_id}: session at {spent} tokens, budget {limit}: status "
        f"{second.get('status')}, "
        f"{second.get('steps')} model calls, answer {_short(second.get('output'), 50)!r}"
    )
    if second.get("status") != "budget_exceeded" or not (second.get("output") or "").strip():
        return Verdict.fail(
            "check the session's tokens before each model call (a budget governor) and "
            "answer with a "
            "polite 'budget reached' message and status budget_exceeded "
            f"({ctx.pkg('infra', 'budget.py')})",
            *evidence,
            facts,
        )
    if second.get("steps"):
        return Verdict.fail(
            "stop before calling the model once the budget is spent", *evidence, facts
        )
    return Verdict.ok(*evidence, facts)

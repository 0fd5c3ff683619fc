"""The tool registry: validate, check policy, ask for approval, then call with retries."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pybreaker
import stamina
from opentelemetry.trace import Status, StatusCode
from pydantic import ValidationError

from ..infra import guardrails, metrics, tracing
from ..infra.logs import get_logger
from ..infra.settings import get_settings
from ..infra.state import get_state
from . import approvals, context
from .base import Tool, ToolError, ToolOutcome, TransientToolError, truncate

log = get_logger("tools")


class ToolRegistry:
    """The tools the agent may call, each with its own circuit breaker."""

    def __init__(
        self, tools: Iterable[Tool], *, breaker_fail_max: int = 5, breaker_reset_s: float = 30.0
    ) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.breakers = {
            name: pybreaker.CircuitBreaker(
                fail_max=breaker_fail_max,
                reset_timeout=breaker_reset_s,
                exclude=[ToolError],
                name=name,
            )
            for name in self.tools
        }
        self._schemas: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def enabled(self) -> list[Tool]:
        """The tools whose feature flag (if any) is on."""
        features = get_settings().features
        return [t for t in self.tools.values() if not t.flag or getattr(features, t.flag, False)]

    def schemas(self) -> list[dict[str, Any]]:
        """Function schemas of the enabled tools, for the model (built once per set of tools)."""
        enabled = tuple(tool.name for tool in self.enabled())
        if enabled not in self._schemas:
            self._schemas[enabled] = [self.tools[name].schema() for name in enabled]
        return self._schemas[enabled]

    async def execute(
        self,
        name: str,
        arguments: str | dict[str, Any],
        *,
        call_id: str | None = None,
        approved: bool = False,
        idempotency_key: str | None = None,
    ) -> ToolOutcome:
        """Run one tool call under its own `execute_tool <name>` span.

        `approved` and `idempotency_key` come from a decided approval (tools/approvals.py):
        the call runs with the key computed when it was requested.
        """
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        attributes = {
            tracing.OPERATION: "execute_tool",
            tracing.TOOL_NAME: name,
            tracing.TOOL_ARGUMENTS: guardrails.redact_pii(raw).text,
        }
        if call_id:
            attributes[tracing.TOOL_CALL_ID] = call_id
        with tracing.span(f"execute_tool {name}", attributes) as span:
            outcome = await self._execute(name, raw, approved, idempotency_key, span)
            span.set_attribute("workbench.tool.status", outcome.status)
            span.set_attribute("workbench.tool.attempts", outcome.attempts)
            if outcome.result is not None:
                result = json.dumps(outcome.result, default=str)
                span.set_attribute(tracing.TOOL_RESULT, guardrails.redact_pii(result).text[:4000])
            if outcome.status not in ("ok", "pending_approval"):
                span.set_status(Status(StatusCode.ERROR, outcome.error or ""))
        log.info("tool_call", tool=name, status=outcome.status, attempts=outcome.attempts)
        metrics.observe_tool_call(name, outcome.status)
        return outcome

    async def _execute(
        self, name: str, raw: str, approved: bool, key: str | None, span: Any
    ) -> ToolOutcome:
        try:
            arguments = json.loads(raw or "{}")
        except json.JSONDecodeError as error:
            return ToolOutcome(
                name, {}, "invalid_arguments", error=f"arguments are not JSON: {error}"
            )
        if not isinstance(arguments, dict):
            return ToolOutcome(name, {}, "invalid_arguments", error="arguments must be an object")
        tool = self.tools.get(name)
        if tool is None:
            guardrails.record(_policy_result("block", f"unknown tool {name!r}"))
            return ToolOutcome(name, arguments, "blocked", error=f"unknown tool {name!r}")
        span.set_attribute("workbench.tool.risk", tool.risk.value)
        try:
            args = tool.args_model.model_validate(arguments)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors()
            )
            return ToolOutcome(name, arguments, "invalid_arguments", error=problems)
        reason = self._refusal(tool, args)
        if reason:
            guardrails.record(_policy_result("block", reason))
            return ToolOutcome(name, arguments, "blocked", error=reason)
        if tool.idempotency_key and not key:
            key = idempotency_key(tool, tool.idempotency_key(args))
        if key:
            span.set_attribute("workbench.tool.idempotency_key", key)
        if tool.risk.needs_approval and not approved:
            guardrails.record(
                _policy_result("block", f"{tool.risk.value}-risk tool needs approval")
            )
            record = await approvals.request_approval(tool, arguments, key)
            return ToolOutcome(
                name,
                arguments,
                "pending_approval",
                approval_id=record["id"],
                result={"approval_id": record["id"], "message": "waiting for human approval"},
            )
        guardrails.record(_policy_result("pass", f"{tool.risk.value} risk, allowed"))
        if key is None:
            return await self._call(tool, args, arguments, span)
        return await self._call_once(tool, args, arguments, key, span)

    async def _call_once(
        self, tool: Tool, args: Any, arguments: dict, key: str, span: Any
    ) -> ToolOutcome:
        """A write call runs at most once per idempotency key; a replay gets the first outcome.

        The first outcome is kept whatever it was (a failure too), so a replayed request
        never acts a second time; a new request (a new key) may try again.
        """
        state = get_state()
        ttl_s = get_settings().idempotency_ttl_s
        if not await state.claim_idempotency(key, ttl_s):
            first = await state.get_idempotent_result(key)
            span.set_attribute("workbench.tool.duplicate", True)
            if first is None:
                return ToolOutcome(
                    tool.name,
                    arguments,
                    "error",
                    error=f"{tool.name}: the same request is already running this call",
                )
            return ToolOutcome(
                tool.name,
                arguments,
                first["status"],
                result=first.get("result"),
                error=first.get("error"),
                extra={"duplicate": True},
            )
        outcome = await self._call(tool, args, arguments, span)
        await state.put_idempotent_result(
            key, {"status": outcome.status, "result": outcome.result, "error": outcome.error}, ttl_s
        )
        return outcome

    def _refusal(self, tool: Tool, args: Any) -> str | None:
        if tool.flag and not getattr(get_settings().features, tool.flag, False):
            return f"{tool.name} is disabled by the feature flag {tool.flag!r}"
        return tool.policy(args) if tool.policy else None

    async def _call(self, tool: Tool, args: Any, arguments: dict, span: Any) -> ToolOutcome:
        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=TransientToolError,
                attempts=tool.attempts,
                timeout=None,
                wait_initial=tool.retry_wait_s,
                wait_max=tool.retry_wait_s * 10,
                wait_jitter=tool.retry_wait_s,
            ):
                with attempt:
                    attempts += 1
                    try:
                        result = await self._attempt(tool, args)
                    except TransientToolError as error:
                        span.add_event(
                            "retry",
                            {
                                tracing.RETRY_ATTEMPT: attempts,
                                "error.type": type(error).__name__,
                            },
                        )
                        raise
        except pybreaker.CircuitBreakerError:
            return ToolOutcome(
                tool.name,
                arguments,
                "circuit_open",
                attempts=attempts,
                error=f"{tool.name} is temporarily unavailable (circuit open)",
            )
        except TimeoutError:
            return ToolOutcome(
                tool.name,
                arguments,
                "timeout",
                attempts=attempts,
                error=f"{tool.name} timed out after {tool.timeout_s:g}s",
            )
        except TransientToolError as error:
            return ToolOutcome(
                tool.name,
                arguments,
                "error",
                attempts=attempts,
                error=f"{tool.name} failed after {attempts} attempts: {error}",
            )
        except ToolError as error:
            return ToolOutcome(tool.name, arguments, "error", attempts=attempts, error=str(error))
        except Exception as error:
            return ToolOutcome(
                tool.name, arguments, "error", attempts=attempts, error=tracing.one_line(error)
            )
        text = json.dumps(result, default=str)
        if len(text) > tool.max_output_chars:
            result = truncate(text, tool.max_output_chars)
            span.set_attribute("workbench.tool.truncated", True)
        return ToolOutcome(tool.name, arguments, "ok", result=result, attempts=attempts)

    async def _attempt(self, tool: Tool, args: Any) -> Any:
        with self.breakers[tool.name].calling():
            async with asyncio.timeout(tool.timeout_s):
                await _inject_fault(tool.name)
                return await tool.func(args)


def idempotency_key(tool: Tool, operation: str) -> str:
    """What makes a write call happen once: the caller, the request, the tool and its arguments.

    The request part is the client's Idempotency-Key header, else its X-Request-ID, else a
    fresh id per request (tools/context.py), so a retried request acts once while two
    requests for equal refunds are two refunds.
    """
    caller = context.current()
    parts = [caller.caller_id, caller.request_key or "", tool.name, operation]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _policy_result(verdict: guardrails.Verdict, reason: str) -> guardrails.GuardrailResult:
    return guardrails.GuardrailResult("tool_policy", verdict, reason, "")


async def _inject_fault(name: str) -> None:
    """Chaos drills: make a tool hang or fail on purpose (AGENT_TOOL_FAULTS)."""
    fault = get_settings().tool_faults.get(name)
    if fault == "hang":
        await asyncio.sleep(3600)
    elif fault == "transient":
        raise TransientToolError(f"injected transient fault in {name}")
    elif fault == "error":
        raise RuntimeError(f"injected fault in {name}")

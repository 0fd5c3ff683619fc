"""The tool registry: validate, check policy, ask for approval, then call with retries."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable
from typing import Any

import pybreaker
import stamina
from opentelemetry.trace import Status, StatusCode
from pydantic import ValidationError

from ..infra import guardrails, tracing
from ..infra.logs import get_logger
from ..infra.settings import get_settings
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
        self.approvals: dict[str, dict[str, Any]] = {}
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
    ) -> ToolOutcome:
        """Run one tool call under its own `execute_tool <name>` span."""
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        attributes = {
            tracing.OPERATION: "execute_tool",
            tracing.TOOL_NAME: name,
            tracing.TOOL_ARGUMENTS: guardrails.redact_pii(raw).text,
        }
        if call_id:
            attributes[tracing.TOOL_CALL_ID] = call_id
        with tracing.span(f"execute_tool {name}", attributes) as span:
            outcome = await self._execute(name, raw, approved, span)
            span.set_attribute("workbench.tool.status", outcome.status)
            span.set_attribute("workbench.tool.attempts", outcome.attempts)
            if outcome.result is not None:
                result = json.dumps(outcome.result, default=str)
                span.set_attribute(tracing.TOOL_RESULT, guardrails.redact_pii(result).text[:4000])
            if outcome.status not in ("ok", "pending_approval"):
                span.set_status(Status(StatusCode.ERROR, outcome.error or ""))
        log.info("tool_call", tool=name, status=outcome.status, attempts=outcome.attempts)
        return outcome

    async def _execute(self, name: str, raw: str, approved: bool, span: Any) -> ToolOutcome:
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
        key = tool.idempotency_key(args) if tool.idempotency_key else None
        if key:
            span.set_attribute("workbench.tool.idempotency_key", key)
        if tool.risk.needs_approval and not approved:
            guardrails.record(
                _policy_result("block", f"{tool.risk.value}-risk tool needs approval")
            )
            approval_id = uuid.uuid4().hex[:12]
            self.approvals[approval_id] = {"tool": name, "arguments": arguments, "key": key}
            return ToolOutcome(
                name,
                arguments,
                "pending_approval",
                approval_id=approval_id,
                result={"approval_id": approval_id, "message": "waiting for human approval"},
            )
        guardrails.record(_policy_result("pass", f"{tool.risk.value} risk, allowed"))
        return await self._call(tool, args, arguments, span)

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

    async def approve(self, approval_id: str) -> ToolOutcome:
        """Run a call a person approved; unknown ids raise KeyError."""
        pending = self.approvals.pop(approval_id)
        return await self.execute(pending["tool"], pending["arguments"], approved=True)


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

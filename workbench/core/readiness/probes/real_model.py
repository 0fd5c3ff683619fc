"""Probes of a real model (``workbench check --model``): reachability and the safety cases.

The turns run in the project's own agent (a runner child), with the request's ``model``,
``api_base`` and ``api_key`` pointing at the chosen model, so the model's server sees
every request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes.agent import NOT_RUN

REACH_TIMEOUT_S = 120.0


def probe_model_reachable(ctx: CheckContext) -> Verdict:
    """The chosen model answers one turn of the project's agent."""
    choice = ctx.model
    if choice is None:
        return Verdict.ok("no --model given: the probes use the workbench mock")
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, f"model: {choice.label}")
    request = {
        "input": "Hello! In one short sentence: what can you help me with?",
        "span_attributes": {"workbench.variant": "readiness-probe"},
        **choice.request_fields(),
    }
    # Start the agent's child first, so the time below is the model's, not the start-up's.
    ctx.harness.pool(ctx.harness.env(), REACH_TIMEOUT_S)
    started = time.perf_counter()
    outcome = ctx.harness.run_turn(request, timeout=REACH_TIMEOUT_S)
    took = time.perf_counter() - started
    result = outcome.result or {}
    if not outcome.ok or result.get("status") != "ok":
        why = result.get("error") or outcome.message or result.get("status")
        return Verdict.fail(
            "check the model name, --api-base and the key variable (--api-key-env); the "
            "model must answer before its verdicts mean anything",
            f"model: {choice.label}: no answer after {took:.1f} s: {why}",
        )
    return Verdict.ok(
        f"model: {choice.label} answered in {took:.1f} s (trace {result.get('trace_id')}, "
        f"model {result.get('model')})"
    )


class RealModelRunner:
    """A ``TurnRunner`` for the eval engine: the harness's runner child, on the chosen model."""

    def __init__(self, ctx: CheckContext) -> None:
        assert ctx.model is not None
        self.ctx = ctx
        self.fields = ctx.model.request_fields()

    async def run(self, request: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Run one eval turn with the model fields overriding the variant's."""
        turn = {**request, **self.fields}
        return await asyncio.to_thread(
            self.ctx.harness.run_turn, turn, timeout=timeout or REACH_TIMEOUT_S
        )

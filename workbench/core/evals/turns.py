"""A case as agent turns: requests per the run_turn contract, outcomes as observations."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from workbench.core.evals.checks import needs_trace
from workbench.core.evals.loader import render
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Case
from workbench.core.evals.variants import Variant

if TYPE_CHECKING:
    from workbench.core.evals.engine import EvalEngine, RunPlan


def turn_inputs(case: Case) -> list[Any]:
    """The input of each turn: one message or conversation, or several messages in sequence."""
    variables = case.vars
    if isinstance(case.input, str):
        return [render(case.input, variables)]
    texts = [item for item in case.input if isinstance(item, str)]
    if texts:
        return [render(text, variables) for text in texts]
    messages = [item for item in case.input if not isinstance(item, str)]
    return [[{"role": m.role, "content": render(m.content, variables)} for m in messages]]


def build_request(
    engine: EvalEngine, plan: RunPlan, case: Case, variant: Variant, repeat: int, turn_input: Any
) -> dict[str, Any]:
    """A turn request for one case × variant × repeat (see docs/architecture.md)."""
    target = engine._target(variant)
    request: dict[str, Any] = {
        "input": turn_input,
        "session_id": f"eval-{plan.run_id}-{case.id}-{variant.name}-{repeat}",
        "span_attributes": {
            "workbench.variant": variant.name,
            "workbench.model_source": target.source,
            "workbench.eval_run": plan.run_id,
            "workbench.eval_case": case.id,
        },
    }
    if variant.prompt:
        request["prompt_version"] = variant.prompt
    if target.model:
        request["model"] = target.model
    if target.api_base:
        request["api_base"] = target.api_base
        if target.source == "real":
            from workbench.core.model_keys import is_provider_host

            if target.api_key_env:
                # The name only: the project reads the key from its own environment.
                request["api_key_env"] = target.api_key_env
            if not is_provider_host(str(target.model), target.api_base):
                # What another server costs is unknown; only [pricing] prices it.
                request["span_attributes"]["workbench.cost.unpriced"] = True
    if variant.params:
        request["params"] = dict(variant.params)
    if not needs_trace(case.assertions):
        # Nothing grades this turn from its spans: its latency and its concurrency slot need
        # not include exporting them (they follow with the next batch export; the runner
        # child flushes what is left when it exits). Agents that ignore the key still wait.
        request["wait_for_trace"] = False
    return request


def outcome_parts(outcome: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A runner outcome as (turn result, error): a ``TurnOutcome``, or a plain result dict."""
    if isinstance(outcome, dict):
        result = outcome
    elif getattr(outcome, "error_kind", None) is not None or getattr(outcome, "result", 1) is None:
        kind = getattr(outcome, "error_kind", None) or "error"
        return None, f"{kind}: {getattr(outcome, 'message', '') or 'no result'}"
    else:
        result = outcome.result
    if not isinstance(result, dict):
        return None, "run_turn returned no result mapping"
    if result.get("status") == "error":
        return result, str(result.get("error") or "the agent reported an error")
    return result, None


def rate_limit_error(outcome: Any) -> str | None:
    """The error text when an outcome is a 429 / rate limit, else ``None``."""
    from workbench.core.evals.engine import rate_limited

    _, error = outcome_parts(outcome)
    return error if rate_limited(error) else None


async def observe(
    engine: EvalEngine, plan: RunPlan, case: Case, variant: Variant, repeat: int
) -> tuple[Observation, str | None]:
    """Run the case's turns for one variant; the observation, and an error if a turn failed."""
    obs = Observation(
        output="",
        status="error",
        latency_ms=0.0,
        variables=case.vars,
        prompt_version=variant.prompt,
        variant=variant.name,
        case_id=case.id,
        services=engine.services,
    )
    inputs = turn_inputs(case)
    obs.input = inputs[0] if len(inputs) == 1 else inputs
    steps = 0
    for turn_input in inputs:
        request = build_request(engine, plan, case, variant, repeat, turn_input)
        started = time.perf_counter()
        try:
            outcome = await engine.call(plan, variant, request)
        except Exception as fault:  # a runner fault is this case's error, never the run's end
            obs.latency_ms += (time.perf_counter() - started) * 1000
            return obs, f"runner: {type(fault).__name__}: {fault}"
        obs.latency_ms += (time.perf_counter() - started) * 1000
        result, error = outcome_parts(outcome)
        if result is not None:
            _accumulate(obs, result)
            steps += int(result.get("steps") or 0)
        if error is not None:
            obs.steps = steps
            return obs, error
    obs.steps = steps
    return obs, None


def _accumulate(obs: Observation, result: dict[str, Any]) -> None:
    obs.result = result
    obs.output = str(result.get("output") or "")
    obs.status = str(result.get("status") or "ok")
    usage = result.get("usage") or {}
    obs.input_tokens += int(usage.get("input_tokens") or 0)
    obs.output_tokens += int(usage.get("output_tokens") or 0)
    obs.cost_usd += float(usage.get("cost_usd") or 0.0)
    if result.get("trace_id"):
        obs.trace_ids.append(str(result["trace_id"]))

"""Probes that observe what the agent does with a turn: limits, routing, caching, caps, rates.

Each runs agent turns in a runner child against the probe mock (``Harness.run_turn``) or
requests against the running service, and judges the outcome: how many model calls, which
model, whether the turn stopped, what the HTTP status was.
"""

from __future__ import annotations

import uuid
from typing import Any

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes import rules as R
from workbench.core.readiness.probes.agent import NOT_RUN, _turn
from workbench.errors import WorkbenchError

LOOP_TIMEOUT_S = 45.0
UNBOUNDED_BUDGET = {
    "tokens_per_request": 10**12,
    "tokens_per_session": 10**12,
    "usd_per_request": 10.0**6,
    "usd_per_day": 10.0**6,
    "usd_per_month": 10.0**6,
}
# A step limit above this is no limit in practice (each step is a paid model call).
MAX_REASONABLE_STEPS = 50


def _calls(result: dict[str, Any]) -> int:
    return len(result.get("tool_calls") or [])


def _loop_turn(ctx: CheckContext, kind: str) -> tuple[dict[str, Any] | None, str]:
    tools = R.probe_tools(ctx.source)
    env = None if len(tools) > 1 else ctx.harness.env(AGENT_TOOL_FAULTS="{}")
    # Budgets lifted, so only the step limit or loop detection can end the turn.
    request = ctx.harness.request(R.marker(kind), budget=UNBOUNDED_BUDGET)
    return _turn(ctx, request, env=env, timeout=LOOP_TIMEOUT_S)


def probe_step_limits(ctx: CheckContext) -> Verdict:
    """A model that never stops calling tools is stopped: by loop detection, else at max steps."""
    tools = R.probe_tools(ctx.source)
    loop_file = ctx.module_rel("agents.loop", ctx.pkg("agents", "loop.py"))
    if not tools:
        return Verdict.fail(
            f"declare tools in a registry ({ctx.pkg('tools', 'base.py')}) and bound the agent "
            f"loop in {loop_file}"
        )
    tool = R.loop_tool(tools)
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, f"{tool.where}: {tool.name} would be called forever")
    hint = (
        f"bound the agent loop (`for step in range(settings.max_steps)`, a few dozen at most) "
        f"and stop when the same tool is called with the same arguments `loop_threshold` times "
        f"({loop_file})"
    )
    vary, problem = _loop_turn(ctx, "loop-vary")
    if vary is None:
        return Verdict.fail(
            hint,
            f"a model calling {tool.name} with new arguments every step: {problem} "
            f"(not stopped within {LOOP_TIMEOUT_S:g} s)",
        )
    vary_facts = (
        f"trace {vary.get('trace_id')}: {tool.name} with new arguments each step -> stopped after "
        f"{vary.get('steps')} steps, {_calls(vary)} calls, status {vary.get('status')}"
    )
    if vary.get("status") in ("ok", "budget_exceeded") or (
        (vary.get("steps") or 0) > MAX_REASONABLE_STEPS
    ):
        return Verdict.fail(hint, vary_facts)
    same, problem = _loop_turn(ctx, "loop-same")
    if same is None:
        return Verdict.fail(hint, vary_facts, f"same arguments every step: {problem}")
    same_facts = (
        f"trace {same.get('trace_id')}: {tool.name} with the same arguments each step -> stopped "
        f"after {_calls(same)} calls, status {same.get('status')}: {same.get('error') or ''}"
    )
    if same.get("status") == "ok" or _calls(same) >= _calls(vary):
        return Verdict.fail(
            f"detect loops: stop when the same call repeats `loop_threshold` times, before the "
            f"step limit ({loop_file})",
            vary_facts,
            same_facts,
        )
    return Verdict.ok(vary_facts, same_facts)


SIMPLE_TEXT = "[readiness:route] hello"
COMPLEX_TEXT = (
    "[readiness:route] I was charged twice for order 123456 and the parcel arrived damaged; I "
    "want a refund for both charges, an explanation of your warranty terms, and to escalate a "
    "complaint about the courier who left it in the rain. " * 4
)


def probe_model_routing(ctx: CheckContext) -> Verdict:
    """A simple request and a complex one are answered by different models (cheap and strong)."""
    models_config = ctx.project.config.models
    config = [
        f"workbench.toml:{ctx.toml.line('models')}: [models] cheap={models_config.cheap!r} "
        f"strong={models_config.strong!r}"
    ]
    if not models_config.cheap or not models_config.strong:
        return Verdict.fail(
            "set both `cheap` and `strong` under [models] in workbench.toml and route simple "
            "requests to the cheap one",
            *config,
        )
    if models_config.cheap == models_config.strong:
        return Verdict.warn(
            "the cheap and strong models are the same: routing saves nothing", *config
        )
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *config)
    models = {}
    for label, text in (("simple", SIMPLE_TEXT), ("complex", COMPLEX_TEXT)):
        result, problem = _turn(ctx, ctx.harness.request(text))
        if result is None:
            return Verdict.error(problem, *config)
        models[label] = (result.get("model") or "?", result.get("trace_id"))
    facts = [
        f"trace {trace}: {label} request -> {model}" for label, (model, trace) in models.items()
    ]
    cheap = ctx.project.config.models.cheap or ""
    routing_file = ctx.module_rel("agents.routing", ctx.pkg("agents", "routing.py"))
    if models["simple"][0] == models["complex"][0]:
        return Verdict.fail(
            "route per request: simple requests to [models] cheap, others to strong (e.g. "
            f"`choose_target` in {routing_file})",
            *config,
            *facts,
        )
    if cheap.split("/")[-1] not in models["simple"][0]:
        return Verdict.fail(
            f"answer simple requests with the cheap model ({cheap})", *config, *facts
        )
    return Verdict.ok(*config, *facts)


def _seen(ctx: CheckContext) -> dict[str, int]:
    state = ctx.harness.mock.state
    with state._lock:
        return dict(state._seen)


def probe_caching(ctx: CheckContext) -> Verdict:
    """The same request twice reaches the model once: the second answer comes from the cache."""
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN)
    text = f"[readiness:cache] {uuid.uuid4().hex[:10]} what are your opening hours?"
    request = ctx.harness.request(text)
    before = _seen(ctx)
    first, problem = _turn(ctx, request)
    if first is None:
        return Verdict.error(problem)
    middle = _seen(ctx)
    new_keys = [k for k in middle if k not in before]
    second, problem = _turn(ctx, request)
    if second is None:
        return Verdict.error(problem)
    after = _seen(ctx)
    repeated = [k for k in new_keys if after.get(k, 0) > middle.get(k, 0)]
    facts = (
        f"traces {first.get('trace_id')}, {second.get('trace_id')}: the same request twice -> "
        f"{len(new_keys)} model call(s), then {len(repeated)}"
    )
    if not new_keys:
        return Verdict.error(f"the first turn never reached the model: {facts}")
    if repeated:
        return Verdict.fail(
            "cache model answers by model, messages, tools and parameters, and look the cache "
            "up before each model call "
            f"({ctx.module_rel('infra.cache', ctx.pkg('infra', 'cache.py'))})",
            facts,
        )
    return Verdict.ok(facts)


def probe_dollar_caps(ctx: CheckContext) -> Verdict:
    """Once the day's dollar cap is spent, a turn answers politely without calling the model."""
    budgets = ctx.project.config.budgets
    where = f"workbench.toml:{ctx.toml.line('budgets')}"
    caps = {"usd_per_day": budgets.usd_per_day, "usd_per_month": budgets.usd_per_month}
    if all(v is None for v in caps.values()):
        return Verdict.fail(
            "set [budgets] usd_per_day and usd_per_month in workbench.toml and enforce them "
            "before each model call",
            f"{where}: no dollar cap",
        )
    evidence = [f"{where}: " + ", ".join(f"{k}={v}" for k, v in caps.items() if v is not None)]
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    first, problem = _turn(ctx, ctx.harness.request(R.marker("spend")))
    if first is None:
        return Verdict.error(problem, *evidence)
    spent = float((first.get("usage") or {}).get("cost_usd") or 0.0)
    if spent <= 0:
        return Verdict.error(
            "the probe turn cost nothing at the mock's price, so a cap cannot be crossed",
            *evidence,
        )
    cap = spent / 2
    second, problem = _turn(
        ctx, ctx.harness.request(R.marker("spend"), budget={"usd_per_day": cap})
    )
    if second is None:
        return Verdict.error(problem, *evidence)
    facts = (
        f"trace {second.get('trace_id')}: after a turn costing ${spent:.6f}, with a usd_per_day "
        f"cap of ${cap:.6f}: status {second.get('status')}, {second.get('steps')} model calls"
    )
    if second.get("status") != "budget_exceeded" or second.get("steps"):
        return Verdict.fail(
            "check the day's and month's dollars before each model call (reserve the call's "
            "worst-case cost, reconcile after) and answer budget_exceeded once a cap is spent "
            f"({ctx.pkg('infra', 'budget.py')})",
            *evidence,
            facts,
        )
    return Verdict.ok(*evidence, facts)


RATE_PROBES = 25


def probe_rate_limiting(ctx: CheckContext) -> Verdict:
    """One caller sending more than its limit gets 429 with Retry-After."""
    from workbench.core.readiness.checks_safety import check_rate_limit

    static = check_rate_limit(ctx)
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *static.evidence) if static.status == "pass" else static
    try:
        svc = ctx.harness.service()
    except WorkbenchError as error:
        return Verdict.error(error.message)
    key = ctx.harness.keys["rate"]
    statuses = []
    for _ in range(RATE_PROBES):
        # An empty body: refused (422) after auth and the rate limit, so no model is called.
        response = svc.send("POST", "/agent/run", key=key, json={})
        statuses.append(response.status_code)
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            return Verdict.ok(
                f"{svc.url}: POST /agent/run with AGENT_RATE_LIMIT={ctx.harness.rate_limit}: "
                f"request {len(statuses)} -> 429 (Retry-After {retry_after})"
            )
    return Verdict.fail(
        "rate-limit each API key (the `limits` library, moving window; Redis storage for "
        f"replicas) on every agent route, limit from settings (in {ctx.app_file})",
        f"{svc.url}: {RATE_PROBES} requests with one key under AGENT_RATE_LIMIT="
        f"{ctx.harness.rate_limit}: statuses {sorted(set(statuses))}, never 429",
    )

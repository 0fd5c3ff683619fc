"""Static checks of the Reliability group, and the static half of its dynamic items."""

from __future__ import annotations

import ast

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.source import Hit, kwarg, literal
from workbench.core.readiness.tooldecl import WRITE_RISKS, tool_declarations

_TIMEOUT_CALLS = (("wait_for", "asyncio"), ("timeout", "asyncio"), ("fail_after", "anyio"))


def routers(ctx: CheckContext) -> list[Hit]:
    """``litellm.Router(...)`` constructions, and calls building a Router's arguments (any call
    given the Router's ``model_list=``, e.g. a config passed to ``Router.from_config``)."""
    found = ctx.source.calls("Router", root="litellm")
    seen = {id(hit.node) for hit in found}
    for hit in ctx.source.walk(ast.Call):
        call = hit.node
        if id(call) not in seen and any(k.arg == "model_list" for k in call.keywords):
            found.append(hit)
    return found


def llm_file(ctx: CheckContext) -> str:
    """Where the model calls are configured (the Router's module, or the conventional file)."""
    found = routers(ctx)
    return (
        found[0].module.rel if found else ctx.module_rel("agents.llm", ctx.pkg("agents", "llm.py"))
    )


def _zero(node: ast.expr | None) -> bool:
    return literal(node) in (0, None) and isinstance(node, ast.Constant)


def retry_config(ctx: CheckContext) -> tuple[list[str], str]:
    """(evidence, hint) for model-call retries: Router ``num_retries``/``retry_policy``."""
    evidence = []
    for hit in routers(ctx):
        call: ast.Call = hit.node
        for name in ("num_retries", "retry_policy"):
            value = kwarg(call, name)
            if value is not None and not _zero(value):
                evidence.append(f"{hit.where}: Router({name}={ast.unparse(value)})")
    for name in ("completion", "acompletion"):
        for hit in ctx.source.calls(name, root="litellm"):
            value = kwarg(hit.node, "num_retries")
            if value is not None and not _zero(value):
                evidence.append(f"{hit.where}: litellm.{name}(num_retries={ast.unparse(value)})")
    hint = (
        f"add `num_retries=settings.llm_num_retries` to the Router in {llm_file(ctx)}, and retry "
        "only 408/409/429/5xx and timeouts, decided by the HTTP status the provider returned "
        "(not litellm's exception class)"
    )
    return evidence, hint


def tool_retry_evidence(ctx: CheckContext) -> list[str]:
    """Per-tool retries with backoff (stamina or tenacity)."""
    evidence = [
        f"{h.where}: stamina.{h.qualname.rpartition('.')[2]}"
        for h in ctx.source.calls("retry_context", root="stamina")
    ]
    evidence += [
        f"{f.where}: @{d.qualname}" for f, d in ctx.source.decorated("retry", root="stamina")
    ]
    evidence += [
        f"{f.where}: @{d.qualname}" for f, d in ctx.source.decorated("retry", root="tenacity")
    ]
    return evidence


def fallback_config(ctx: CheckContext) -> tuple[list[str], str]:
    """(evidence, hint) for a model fallback chain: ``[models] fallbacks``, Router ``fallbacks``."""
    evidence = []
    fallbacks = ctx.project.config.models.fallbacks
    if fallbacks:
        evidence.append(
            f"workbench.toml:{ctx.toml.line('models', 'fallbacks')}: fallbacks {fallbacks}"
        )
    for hit in routers(ctx):
        value = kwarg(hit.node, "fallbacks")
        if value is not None:
            evidence.append(f"{hit.where}: Router(fallbacks=...)")
    hint = (
        "list fallback models in workbench.toml [models] fallbacks and pass them to the Router "
        f"(`fallbacks=[{{primary: [fallback, ...]}}]`) in {llm_file(ctx)}"
    )
    return evidence, hint


def check_circuit_breakers(ctx: CheckContext) -> Verdict:
    """External calls (tools, models) stop being attempted while their dependency is failing."""
    src = ctx.source
    breakers = src.calls("CircuitBreaker", root="pybreaker") + src.calls(
        "CircuitBreaker", root="aiobreaker"
    )
    decorated = src.decorated("circuit", root="circuitbreaker")
    evidence = [f"{h.where}: {h.qualname}()" for h in breakers] + [
        f"{f.where}: @circuit" for f, _ in decorated
    ]
    uses = [
        (h, h.node.func)
        for h in src.walk(ast.Call)
        if isinstance(h.node.func, ast.Attribute)
        and h.node.func.attr in ("calling", "call", "call_async")
        and breakers
    ]
    registry = ctx.module_rel("tools.registry", ctx.pkg("tools", "registry.py"))
    if not evidence:
        return Verdict.fail(
            "wrap each tool call in a per-tool `pybreaker.CircuitBreaker(fail_max=5, "
            "reset_timeout=30)` "
            f"(`with breaker.calling(): ...`) in {registry}"
        )
    if breakers and not uses:
        return Verdict.fail(
            "the circuit breakers are created but never used: call tools through "
            "`breaker.calling()` / `breaker.call_async(...)`",
            *evidence,
        )
    evidence += [f"{h.where}: breaker.{func.attr}()" for h, func in uses[:1]]
    cooldowns = []
    for hit in routers(ctx):
        for name in ("allowed_fails", "cooldown_time", "allowed_fails_policy"):
            value = kwarg(hit.node, name)
            if value is not None:
                cooldowns.append(f"{hit.where}: Router({name}={ast.unparse(value)})")
    if routers(ctx) and not cooldowns:
        return Verdict.warn(
            f"also stop calling a failing model: pass `allowed_fails` and `cooldown_time` to the "
            f"Router in {llm_file(ctx)}",
            *evidence,
        )
    return Verdict.ok(*evidence, *cooldowns)


def _timeout_calls(ctx: CheckContext) -> list[Hit]:
    hits = []
    for name, root in _TIMEOUT_CALLS:
        hits += ctx.source.calls(name, root=root)
    return hits


def check_timeouts(ctx: CheckContext) -> Verdict:
    """Every LLM call, every tool call and the whole session are bounded in time."""
    evidence, missing = [], []
    llm = []
    for hit in routers(ctx):
        value = kwarg(hit.node, "timeout")
        if value is not None:
            llm.append(f"{hit.where}: Router(timeout={ast.unparse(value)})")
    for name in ("completion", "acompletion"):
        for hit in ctx.source.calls(name, root="litellm"):
            if kwarg(hit.node, "timeout") is not None:
                llm.append(f"{hit.where}: litellm.{name}(timeout=...)")
    (
        evidence.extend(llm[:1])
        if llm
        else missing.append(f"LLM calls: pass `timeout=` to the Router in {llm_file(ctx)}")
    )
    timeouts = _timeout_calls(ctx)
    tools_pkg = f"{ctx.project.package}.tools"
    tool_hits = [h for h in timeouts if h.module.name.startswith(tools_pkg)]
    decls = tool_declarations(ctx.source)
    if tool_hits:
        evidence.append(f"{tool_hits[0].where}: {tool_hits[0].qualname}() around each tool call")
        limits = [
            f"{d.name}={d.value('timeout_s')}" for d in decls if d.value("timeout_s") is not None
        ]
        if limits:
            evidence.append(f"tool limits: {', '.join(limits)}")
    else:
        missing.append(
            "tool calls: wrap each call in `async with asyncio.timeout(tool.timeout_s)` in "
            + ctx.module_rel("tools.registry", ctx.pkg("tools", "registry.py"))
        )
    from workbench.core.readiness.callgraph import session_timeouts

    session = session_timeouts(ctx.source)
    if session:
        evidence.append(session[0])
    else:
        missing.append(
            "the session: bound the whole turn with "
            "`asyncio.timeout(settings.session_timeout_s)` in "
            + ctx.module_rel("agents.loop", ctx.pkg("agents", "loop.py"))
        )
    if missing:
        return Verdict.fail("add timeouts — " + "; ".join(missing), *evidence)
    return Verdict.ok(*evidence)


def _loop_bound(ctx: CheckContext) -> list[str]:
    """``for ... in range(<max steps>)`` loops, as evidence."""
    return [f"{hit.where}: {ast.unparse(hit.node.iter)}" for hit in _bounded_loops(ctx)]


def _bounded_loops(ctx: CheckContext) -> list[Hit]:
    """``for`` loops over ``range(...)`` of a step or iteration limit."""
    found = []
    for hit in ctx.source.walk(ast.For):
        node: ast.For = hit.node
        if (
            isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
            and node.iter.func.id == "range"
        ):
            text = ast.unparse(node.iter).lower()
            if "step" in text or "iteration" in text:
                found.append(hit)
    return found


def _stops(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.Raise | ast.Return | ast.Break) for stmt in body for n in ast.walk(stmt)
    )


def _loop_detectors(ctx: CheckContext) -> list[str]:
    """Repetition checks inside agent loops: ``if seen[call] >= threshold: stop``, or a detector."""
    found = []
    for hit in _bounded_loops(ctx):
        for node in ast.walk(hit.node):
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Compare)
                and any(
                    isinstance(side, ast.Subscript)
                    for side in (node.test.left, *node.test.comparators)
                )
                and _stops(node.body)
            ):
                found.append(
                    f"{hit.module.rel}:{node.lineno}: stops when `{ast.unparse(node.test)}`"
                )
    for func in ctx.source.functions():
        name = func.node.name.lower()
        if "loop" in name and ("detect" in name or "repeat" in name):
            found.append(f"{func.where}: {func.node.name}()")
    return list(dict.fromkeys(found))


def check_step_limits(ctx: CheckContext) -> Verdict:
    """The agent loop stops after a maximum number of steps and when it repeats itself."""
    bounds = _loop_bound(ctx)
    loop_file = ctx.module_rel("agents.loop", ctx.pkg("agents", "loop.py"))
    if not bounds:
        return Verdict.fail(
            f"bound the agent loop: `for step in range(settings.max_steps):` in {loop_file}, "
            "answering gracefully when the limit is reached"
        )
    detectors = _loop_detectors(ctx)
    if not detectors:
        return Verdict.fail(
            "detect loops: stop when the same tool is called with the same arguments "
            f"`loop_threshold` times (e.g. a `detect_loop(calls)` in {loop_file})",
            *bounds,
        )
    return Verdict.ok(*bounds[:1], *detectors[:2])


def check_idempotent_writes(ctx: CheckContext) -> Verdict:
    """Tools that change state carry an idempotency key, so a retry cannot act twice."""
    decls = tool_declarations(ctx.source)
    if not decls:
        return Verdict.fail(
            f"declare tools in a registry with a risk level and, for write tools, an "
            f"`idempotency_key` ({ctx.pkg('tools', 'base.py')})"
        )
    writes = [d for d in decls if d.risk in WRITE_RISKS or d.has("idempotency_key")]
    if not writes:
        return Verdict.ok(f"{len(decls)} tools, all read-only (low risk)")
    missing = [d for d in writes if not d.has("idempotency_key")]
    if missing:
        return Verdict.fail(
            "give each write tool an `idempotency_key=` (derived from its arguments, e.g. "
            "order id + amount) and skip calls whose key already ran",
            *(f"{d.hit.where}: {d.name} (risk {d.risk}) has no idempotency key" for d in missing),
        )
    honoured = [
        h.where
        for h in ctx.source.walk(ast.Attribute)
        if h.node.attr == "idempotency_key" and isinstance(h.node.ctx, ast.Load)
    ]
    evidence = [
        f"{d.hit.where}: {d.name} idempotency_key={ast.unparse(d.fields['idempotency_key'])}"
        for d in writes
    ]
    if not honoured:
        return Verdict.fail(
            "the registry never reads `tool.idempotency_key`: check it before calling", *evidence
        )
    return Verdict.ok(*evidence, f"{honoured[0]}: key computed before the call")

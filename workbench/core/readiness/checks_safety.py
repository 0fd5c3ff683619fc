"""Static checks of the Safety group: guardrails, approvals, auth, secrets, incidents, feedback."""

from __future__ import annotations

import ast

from workbench.core.readiness.attrs import uses_of
from workbench.core.readiness.checks_deployment import runbook_section_check
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.tooldecl import tool_declarations


def _guardrail_calls(ctx: CheckContext) -> tuple[list[str], list[str], set[str]]:
    """Calls from outside the guardrails module to its input and output checks."""
    modules = {m.name for m in ctx.source.modules if m.name.split(".")[-1] == "guardrails"}
    inputs, outputs = [], []
    for hit in ctx.source.walk(ast.Call):
        qualname = hit.module.qualify(hit.node.func) or ""
        owner, _, function = qualname.rpartition(".")
        if owner not in modules or hit.module.name in modules:
            continue
        if "input" in function:
            inputs.append(f"{hit.where}: {function}()")
        elif "output" in function:
            outputs.append(f"{hit.where}: {function}()")
    return inputs, outputs, modules


def check_guardrails(ctx: CheckContext) -> Verdict:
    """Input and output guardrails run on every turn, record verdicts, and are tested."""
    inputs, outputs, modules = _guardrail_calls(ctx)
    where = ctx.module_rel("infra.guardrails", ctx.pkg("infra", "guardrails.py"))
    if not modules:
        return Verdict.fail(
            f"add {where} with `check_input(text)` (length, prompt injection, PII) and "
            "`check_output(text)` (secrets and PII redaction), and call both on every turn"
        )
    missing = [name for name, calls in (("input", inputs), ("output", outputs)) if not calls]
    if missing:
        return Verdict.fail(
            f"call the {' and '.join(missing)} guardrail on every turn (before the first model "
            f"call for input, on the reply before it is returned for output), from "
            f"{ctx.module_rel('agents.loop', ctx.pkg('agents', 'loop.py'))}",
            *inputs[:1],
            *outputs[:1],
        )
    evidence = [inputs[0], outputs[0]]
    recorded = uses_of(ctx.source, "workbench.guardrail.verdict")
    if not recorded:
        return Verdict.fail(
            "record each verdict on a `guardrail <name>` span with the attribute "
            "`workbench.guardrail.verdict` (pass / block / redact)",
            *evidence,
        )
    evidence.append(f"{recorded[0].where}: verdicts recorded on spans")
    tested = [
        h.where
        for h in ctx.tests.walk((ast.Import, ast.ImportFrom))
        if any("guardrails" in (alias.name or "") for alias in h.node.names)
        or "guardrails" in (getattr(h.node, "module", None) or "")
    ]
    if not tested:
        return Verdict.fail(
            "test the guardrails: add tests/test_guardrails.py covering injection, PII and secrets",
            *evidence,
        )
    evidence.append(f"{tested[0]}: guardrails tested")
    return Verdict.ok(*evidence)


def check_human_approval(ctx: CheckContext) -> Verdict:
    """High- and critical-risk tools wait for a person's approval instead of acting."""
    decls = tool_declarations(ctx.source)
    risky = [d for d in decls if d.risk in ("high", "critical")]
    if not decls:
        return Verdict.fail(
            "declare tools with a risk level (low / medium / high / critical) in a registry "
            f"({ctx.pkg('tools', 'base.py')}) so risky ones can require approval"
        )
    evidence = [f"{d.hit.where}: {d.name} risk={d.risk or '?'}" for d in risky]
    if not risky:
        return Verdict.ok(f"{len(decls)} tools declared, none high or critical risk")
    gates = [h.where for h in uses_of(ctx.source, "pending_approval")]
    reads = [h.where for h in ctx.source.walk(ast.Attribute) if h.node.attr == "needs_approval"]
    if not gates:
        return Verdict.fail(
            "return a `pending_approval` result for high/critical tools until a person approves "
            f"(in {ctx.module_rel('tools.registry', ctx.pkg('tools', 'registry.py'))})",
            *evidence,
        )
    return Verdict.ok(*evidence, *(f"{w}: approval gate" for w in (reads or gates)[:2]))


def _dependency_closure(ctx: CheckContext, names: tuple[str, ...]) -> list[str]:
    """The route's dependencies and, transitively, the dependencies of the project's own ones."""
    from workbench.core.readiness.routes import function_dependencies

    functions = {f.node.name: f for f in ctx.source.functions()}
    seen: list[str] = []
    queue = list(names)
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.append(name)
        func = functions.get(name)
        if func is not None:
            queue += function_dependencies(func.module, func.node)
    return seen


def _security_schemes(ctx: CheckContext) -> dict[str, str]:
    """Variables bound to a fastapi.security scheme (APIKeyHeader, HTTPBearer, OAuth2...)."""
    found = {}
    for hit in ctx.source.walk(ast.Assign):
        node: ast.Assign = hit.node
        qualname = hit.module.qualify(node.value.func) if isinstance(node.value, ast.Call) else None
        if qualname and qualname.startswith("fastapi.security"):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = f"{hit.where}: {qualname.rpartition('.')[2]}"
    return found


def check_api_auth(ctx: CheckContext) -> Verdict:
    """The agent endpoints require credentials; only probes are open."""
    app_file = ctx.app_file
    agent_routes = [r for r in ctx.source.routes if r.method == "POST"]
    if not agent_routes:
        return Verdict.fail(f"expose the agent over HTTP (POST /agent/run) in {app_file}")
    schemes = _security_schemes(ctx)
    evidence, open_routes = [], []
    for route in agent_routes:
        chain = _dependency_closure(ctx, route.dependencies)
        used = [schemes[name] for name in chain if name in schemes]
        if used:
            evidence.append(
                f"{route.hit.where}: {route.method} {route.path} requires {' -> '.join(chain)}"
            )
        else:
            open_routes.append(
                f"{route.hit.where}: {route.method} {route.path} has no auth dependency"
            )
    if open_routes:
        return Verdict.fail(
            "protect every POST route with an API-key dependency built on fastapi.security, e.g. "
            '`APIKeyHeader(name="X-API-Key")` checked in `require_api_key`, via '
            "`Depends(require_api_key)`",
            *open_routes,
        )
    return Verdict.ok(*evidence, *sorted(set(schemes.values()))[:1])


def check_rate_limit(ctx: CheckContext) -> Verdict:
    """Requests are rate limited per client, so one caller cannot exhaust the model budget."""
    evidence = [f"{h.where}: {h.qualname}" for h in ctx.source.calls("Limiter", root="slowapi")]
    evidence += [f"{h.where}: {h.qualname}" for h in ctx.source.calls("parse", root="limits")]
    limiter_mods = [
        m for m in ctx.source.modules if m.name.split(".")[-1] in ("ratelimit", "rate_limit")
    ]
    for module in limiter_mods:
        evidence.append(f"{module.rel}:1: rate limiter module")
    routes_with = [
        r
        for r in ctx.source.routes
        if any("rate" in d.lower() or "limit" in d.lower() for d in r.dependencies)
    ]
    evidence += [f"{r.hit.where}: {r.method} {r.path} rate limited" for r in routes_with]
    if not evidence:
        return Verdict.fail(
            "rate-limit the agent endpoints per API key (e.g. a `rate_limit` dependency on the "
            f"router in {ctx.app_file}, limit from settings)"
        )
    return Verdict.ok(*evidence)


def check_secrets(ctx: CheckContext) -> Verdict:
    """No secret in any committed file (detect-secrets); a committed .env.template, .env ignored."""
    from workbench.core.readiness.secrets import scan_project

    template = ctx.root / ".env.template"
    ignore = ctx.root / ".gitignore"
    evidence = []
    patterns = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    line = next(
        (n for n, p in enumerate(patterns, 1) if p.strip() in (".env", "/.env", ".env*")), 0
    )
    if not line:
        return Verdict.fail("add `.env` to .gitignore so real keys are never committed")
    evidence.append(f".gitignore:{line}: .env ignored")
    findings, scanned = scan_project(ctx.root)
    if findings:
        return Verdict.fail(
            "move each secret out of the file into the environment (.env locally, a Secret in "
            "the cluster), read it through settings, and rotate it: it is in the history now",
            *evidence,
            *findings[:10],
        )
    evidence.append(f"detect-secrets: {scanned} committed files scanned, no secret found")
    if not template.is_file():
        return Verdict.fail(
            "commit a `.env.template` listing every variable, with empty values", *evidence
        )
    evidence.append(".env.template:1: variables documented")
    return Verdict.ok(*evidence)


def check_incident_plan(ctx: CheckContext) -> Verdict:
    """RUNBOOK.md says what to do when the agent does something unsafe."""
    return runbook_section_check(
        ctx,
        ("safety",),
        "Safety incidents",
        "how to stop the harm (flag off, block pattern), preserve traces, notify, and add an "
        "eval case",
    )


def check_feedback_channel(ctx: CheckContext) -> Verdict:
    """Users can report a bad answer, tied to the trace it came from."""
    routes = [
        r
        for r in ctx.source.routes
        if r.method == "POST" and any(w in r.path.lower() for w in ("feedback", "report"))
    ]
    if not routes:
        return Verdict.fail(
            "add `POST /feedback` (trace_id or session_id, rating, comment) in "
            f"{ctx.app_file}, recording the report on "
            "the trace or in the store so someone reviews it"
        )
    return Verdict.ok(*(f"{r.hit.where}: {r.method} {r.path}" for r in routes))

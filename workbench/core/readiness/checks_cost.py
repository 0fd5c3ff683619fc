"""Static checks of the Cost group: model routing, caching, budgets and spend alerts."""

from __future__ import annotations

import ast

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict


def _attribute_reads(ctx: CheckContext, *names: str) -> list[str]:
    """``file:line`` of every read of an attribute or call of a function named in ``names``."""
    found = []
    for hit in ctx.source.walk(ast.Attribute):
        node: ast.Attribute = hit.node
        if node.attr in names and isinstance(node.ctx, ast.Load):
            found.append(f"{hit.where}: {node.attr}")
    return found


def check_model_routing(ctx: CheckContext) -> Verdict:
    """A cheap model for simple requests and a stronger one otherwise, chosen in code."""
    models = ctx.project.config.models
    where = f"workbench.toml:{ctx.toml.line('models')}"
    if not models.cheap or not models.strong:
        return Verdict.fail(
            "set both `cheap` and `strong` under [models] in workbench.toml (e.g. cheap = "
            '"gpt-4o-mini", strong = "gpt-4o") and route simple requests to the cheap one',
            f"{where}: [models] cheap={models.cheap!r} strong={models.strong!r}",
        )
    evidence = [f"{where}: [models] cheap={models.cheap} strong={models.strong}"]
    if models.cheap == models.strong:
        return Verdict.warn(
            "the cheap and strong models are the same: routing saves nothing", *evidence
        )
    reads = _attribute_reads(ctx, "cheap_model", "strong_model", "cheap", "strong")
    if not reads:
        return Verdict.fail(
            "choose the model per request in code (e.g. a `route_model(request)` in "
            f"{ctx.pkg('agents', 'routing.py')} returning settings.models.cheap for short, "
            "tool-free requests and settings.models.strong otherwise)",
            *evidence,
        )
    return Verdict.ok(*evidence, *reads[:3])


def _cache_classes(ctx: CheckContext) -> list[tuple[str, str, str]]:
    """(module name, class name, where) of classes named *Cache* with get and put/set methods."""
    found = []
    for hit, _bases in ctx.source.classes():
        node: ast.ClassDef = hit.node
        methods = {
            s.name for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if "cache" in node.name.lower() and "get" in methods and methods & {"put", "set"}:
            found.append((hit.module.name, node.name, hit.where))
    return found


def check_caching(ctx: CheckContext) -> Verdict:
    """Responses (or tool results) are cached, and the cache sits on the model-call path."""
    evidence = []
    for hit in ctx.source.calls("Cache", root="litellm"):
        evidence.append(f"{hit.where}: litellm.Cache()")
    for hit in ctx.source.calls("Router", root="litellm"):
        if any(k.arg in ("cache_responses", "caching") for k in hit.node.keywords):
            evidence.append(f"{hit.where}: Router caches responses")
    classes = _cache_classes(ctx)
    used_in: list[str] = []
    for module_name, class_name, where in classes:
        evidence.append(f"{where}: {class_name}")
        for hit in ctx.source.walk(ast.Call):
            qualname = hit.module.qualify(hit.node.func) or ""
            if hit.module.name != module_name and qualname.startswith(module_name + "."):
                used_in.append(f"{hit.where}: {qualname.removeprefix(module_name + '.')}()")
    if not evidence:
        return Verdict.fail(
            "cache model answers: add an exact-match cache keyed by model, messages and params "
            f"(e.g. {ctx.pkg('infra', 'cache.py')}) and consult it before each model call"
        )
    if classes and not used_in and len(evidence) == len(classes):
        return Verdict.fail(
            "the cache is never used: look it up before the model call and store the answer after",
            *evidence,
        )
    return Verdict.ok(*evidence, *used_in[:3])


def check_cost_alerts(ctx: CheckContext) -> Verdict:
    """Daily or monthly spend limits with alert thresholds that the code acts on."""
    budgets = ctx.project.config.budgets
    where = f"workbench.toml:{ctx.toml.line('budgets')}"
    if budgets.usd_per_day is None and budgets.usd_per_month is None:
        return Verdict.fail(
            "set `usd_per_day` and/or `usd_per_month` under [budgets] in workbench.toml, so spend "
            "is monitored (`workbench budget`) and alerts fire",
            f"{where}: [budgets] has no daily or monthly limit",
        )
    thresholds = budgets.alert_thresholds
    evidence = [
        f"{where}: [budgets] usd_per_day={budgets.usd_per_day} "
        f"usd_per_month={budgets.usd_per_month}"
    ]
    if not thresholds or any(not 0 < t <= 1.0 for t in thresholds):
        return Verdict.fail(
            "set [budgets] alert_thresholds to fractions in (0, 1], e.g. [0.5, 0.8, 1.0]", *evidence
        )
    evidence.append(
        f"workbench.toml:{ctx.toml.line('budgets', 'alert_thresholds')}: alerts at "
        + ", ".join(f"{t:.0%}" for t in thresholds)
    )
    reads = _attribute_reads(ctx, "alert_thresholds")
    if not reads:
        return Verdict.fail(
            "raise an alert (log event and span attribute) when spend crosses each of "
            f"[budgets] alert_thresholds, in the budget governor ({ctx.pkg('infra', 'budget.py')})",
            *evidence,
        )
    return Verdict.ok(*evidence, *(f"{r} (alerts raised in code)" for r in reads[:2]))

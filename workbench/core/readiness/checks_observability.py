"""Static checks of the Observability group: structured logs, OpenTelemetry tracing, runbook."""

from __future__ import annotations

import ast

from workbench.core.readiness.attrs import uses_of
from workbench.core.readiness.checks_deployment import runbook_section_check
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict


def check_structured_logs(ctx: CheckContext) -> Verdict:
    """structlog renders JSON, binds request/session ids, and the agent logs its events."""
    src = ctx.source
    logs_file = ctx.module_rel("infra.logs", ctx.pkg("infra", "logs.py"))
    configures = src.calls("configure", root="structlog")
    if not configures:
        return Verdict.fail(
            f"call `structlog.configure(processors=[..., structlog.processors.JSONRenderer()])` "
            f"in {logs_file} at startup"
        )
    evidence = [f"{h.where}: structlog.configure()" for h in configures]
    renderers = src.references("JSONRenderer", root="structlog")
    if not renderers:
        return Verdict.fail(
            "add `structlog.processors.JSONRenderer()` as the last processor in "
            f"{configures[0].where}",
            *evidence,
        )
    evidence.append(f"{renderers[0].where}: JSONRenderer (one JSON object per line)")
    ids = src.references("merge_contextvars", root="structlog")
    binds = src.calls("bind_contextvars", root="structlog")
    if not binds and not ids:
        return Verdict.fail(
            "bind request_id and session_id per turn with `structlog.contextvars.bind_contextvars` "
            "and add `structlog.contextvars.merge_contextvars` to the processors",
            *evidence,
        )
    evidence += [f"{h.where}: {h.qualname.rpartition('.')[2]}" for h in (binds + ids)[:2]]
    loggers = {h.module.rel for h in src.calls("get_logger")} - {configures[0].module.rel}
    events = [
        h
        for h in src.walk(ast.Call)
        if isinstance(h.node.func, ast.Attribute)
        and h.node.func.attr in ("info", "warning", "error", "exception")
        and h.node.args
        and isinstance(h.node.args[0], ast.Constant)
        and h.module.rel in loggers
    ]
    if not events:
        return Verdict.fail(
            "log the agent's events (turn start/end, tool call, guardrail verdict, budget "
            "alert) with "
            '`log.info("event_name", key=value)` through the structlog logger',
            *evidence,
        )
    evidence.append(
        f"{len(events)} structured events in {len({h.module.rel for h in events})} modules, "
        f"e.g. {events[0].where}"
    )
    return Verdict.ok(*evidence)


_OPERATIONS = ("invoke_agent", "chat", "execute_tool")


def check_tracing(ctx: CheckContext) -> Verdict:
    """OpenTelemetry spans for the agent, each LLM call and tool call, exported over OTLP."""
    src = ctx.source
    tracing_file = ctx.module_rel("infra.tracing", ctx.pkg("infra", "tracing.py"))
    providers = src.calls("TracerProvider", root="opentelemetry")
    if not providers:
        return Verdict.fail(
            f"create an `opentelemetry.sdk.trace.TracerProvider(resource=Resource.create("
            f"{{'service.name': ...}}))` in {tracing_file}"
        )
    evidence = [f"{providers[0].where}: TracerProvider"]
    exporters = src.calls("OTLPSpanExporter", root="opentelemetry")
    if not exporters:
        return Verdict.fail(
            "export spans: add `BatchSpanProcessor(OTLPSpanExporter(endpoint=...))` from "
            f"opentelemetry.exporter.otlp.proto.http to the provider in {providers[0].where}",
            *evidence,
        )
    evidence.append(f"{exporters[0].where}: OTLPSpanExporter")
    starts = [
        h
        for h in src.walk(ast.Call)
        if isinstance(h.node.func, ast.Attribute)
        and h.node.func.attr in ("start_as_current_span", "start_span")
    ]
    if not starts:
        return Verdict.fail("open spans with `tracer.start_as_current_span(...)`", *evidence)
    evidence.append(f"{starts[0].where}: spans opened")
    missing = []
    for operation in _OPERATIONS:
        uses = uses_of(src, operation)
        if uses:
            evidence.append(f"{uses[0].where}: `{operation}` spans")
        else:
            missing.append(operation)
    if missing:
        return Verdict.fail(
            "name spans by the GenAI conventions and set `gen_ai.operation.name`: missing "
            + ", ".join(missing),
            *evidence,
        )
    flushes = src.calls("force_flush")
    if flushes:
        evidence.append(f"{flushes[0].where}: force_flush at the end of a turn")
    return Verdict.ok(*evidence)


def check_incident_runbook(ctx: CheckContext) -> Verdict:
    """RUNBOOK.md tells the on-call person what to do in an incident."""
    return runbook_section_check(
        ctx,
        ("incident",),
        "Incident response",
        "how to triage (traces, logs), mitigate (flags, rollback), communicate and follow up",
        unless=("safety",),
    )

"""The health probe: /healthz and /readiness answer, and readiness notices an outage."""

from __future__ import annotations

import time

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes.agent import NOT_RUN
from workbench.core.readiness.probes.service import start_service
from workbench.errors import WorkbenchError

LIVENESS, READINESS = "/healthz", "/readiness"
# A service may warm up (import its model client, load prompts) before it reports ready, and
# check its model endpoint in the background: how long to wait for each, polling.
WARM_UP_S, MODEL_CHECK_S, POLL_S = 120.0, 15.0, 0.2


def _poll(read, done, seconds: float):
    """Read until ``done(value)`` or ``seconds`` pass; the last value read."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_S)
        value = read()
    return value


def _checks(body: object) -> str:
    """``name: ok`` pairs from a readiness body's per-dependency report."""
    checks = body.get("checks") if isinstance(body, dict) else None
    if not isinstance(checks, dict):
        return ""
    parts = []
    for name, value in checks.items():
        ok = value.get("ok") if isinstance(value, dict) else value in (True, "ok")
        parts.append(f"{name}: {'ok' if ok else 'failing'}")
    return ", ".join(parts)


def _json(response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def probe_health(ctx: CheckContext) -> Verdict:
    """Both probe routes exist and answer 200 when up; readiness reports each dependency."""
    app_file = ctx.app_file
    routes = {r.path: r for r in ctx.source.routes if r.method == "GET"}
    evidence, missing = [], []
    for path, what in (
        (LIVENESS, "liveness: the process is up"),
        (READINESS, "readiness: model reachable, dependencies answer; 503 otherwise"),
    ):
        route = routes.get(path)
        if route is None:
            missing.append(f"`GET {path}` ({what})")
        else:
            evidence.append(f"{route.hit.where}: GET {path}")
    if missing:
        return Verdict.fail(
            f"register {' and '.join(missing)} in {app_file}",
            *evidence,
            *(f"no route {m.split('`')[1]}" for m in missing),
        )
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN, *evidence)
    from workbench.core.mock import start_mock

    model = start_mock()
    service = None
    try:
        # Development mode: the template shows readiness details (and accepts its shipped
        # keys) only there; this probe reads the per-dependency report.
        # The agent-service template checks its model endpoint in the background: every 1 s here.
        env = ctx.harness.env(
            AGENT_LLM_API_BASE=model.api_base,
            AGENT_ENVIRONMENT="development",
            AGENT_MODEL_CHECK_INTERVAL_S="1",
        )
        try:
            service = start_service(ctx.project, env=env, otlp_endpoint=ctx.harness.collector.url)
        except WorkbenchError as error:
            return Verdict.error(error.message, *evidence)
        live = service.get(LIVENESS)
        ready = _poll(lambda: service.get(READINESS), lambda r: r.status_code == 200, WARM_UP_S)
        report = _checks(_json(ready))
        facts = (
            f"{service.url}: GET {LIVENESS} -> {live.status_code}, GET "
            f"{READINESS} -> {ready.status_code}"
        )
        facts += f" ({report})" if report else ""
        if live.status_code != 200 or ready.status_code != 200:
            return Verdict.fail(
                f"with the model reachable both probes must answer 200; see why {READINESS} "
                "refuses "
                f"in its body ({_json(ready)!r:.160})",
                *evidence,
                facts,
            )
        if not report:
            return Verdict.fail(
                f"report each dependency in the {READINESS} body, e.g. "
                '{"checks": {"model": {"ok": true}, "memory": {"ok": true}}}',
                *evidence,
                facts,
            )
        evidence.append(facts)
        model.stop()
        down = _poll(
            lambda: service.get(READINESS),
            lambda r: r.status_code != 200 or "failing" in _checks(_json(r)),
            MODEL_CHECK_S,
        )
        alive = service.get(LIVENESS)
        outage = (
            f"model endpoint stopped: GET {READINESS} -> "
            f"{down.status_code} ({_checks(_json(down))}), GET {LIVENESS} -> {alive.status_code}"
        )
        # A shared model endpoint may be reported without failing readiness (so one blip does
        # not take every pod out of rotation); either way the outage must be visible.
        reported = "failing" in _checks(_json(down))
        if (down.status_code == 200 and not reported) or alive.status_code != 200:
            return Verdict.warn(
                f"{READINESS} should answer 503 while the model is unreachable (and "
                f"{LIVENESS} stay "
                "200, so the orchestrator stops routing traffic without restarting the pod)",
                *evidence,
                outage,
            )
        evidence.append(outage)
        return Verdict.ok(*evidence)
    finally:
        if service is not None:
            service.stop()
        model.stop()

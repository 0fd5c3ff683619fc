"""The checklist of an adopted project: what the workbench can judge in foreign code, and what not.

The static checks and most probes read the agent-service template's modules and API;
in an adopted repository they would fail (or pass) on evidence that is not there. So
for ``[project] kind = "adopted"`` each item is either judged as for a template project
(files every project has, evals through the entry point, sign-offs), or becomes an
attested item naming what a person must look at (valid while the agent's source is
unchanged), or is "not applicable here", with the reason (not counted, not blocking).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from workbench.core.projects import Project
from workbench.core.readiness.attested import Fingerprint
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Item, Verdict

# Judged the same way in any repository.
JUDGED = {
    "reliability.model-reachable",
    "deployment.project-tests",
    "deployment.locked-dependencies",
    "deployment.eval-gate-ci",
    "deployment.rollback-documented",
    "deployment.rollback-tested",
    "deployment.progressive-rollout",
    "observability.dashboards",
    "observability.alerts",
    "observability.incident-runbook",
    "observability.on-call",
    "cost.review-cadence",
    "safety.evals",
    "safety.incident-plan",
    "safety.secrets",
}

# The workbench cannot see these in foreign code: what a person must look at instead.
LOOK_AT = {
    "reliability.health-probes": "liveness and readiness endpoints of the service that runs it "
    "([deploy] health_path and readiness_path, which the shipped probes use)",
    "reliability.graceful-degradation": "a fallback answer when the model or a tool is down",
    "reliability.retries": "backoff on 429/5xx and no retry on other 4xx, in the model client",
    "reliability.circuit-breakers": "circuit breakers around model, tool and HTTP calls",
    "reliability.timeouts": "a timeout on every model call, tool call and the whole turn",
    "reliability.hung-tool": "a hung tool call is cut off at its timeout",
    "reliability.step-limits": "a maximum number of steps per turn (no endless tool loop)",
    "reliability.idempotent-writes": "write tools that a retried request runs once",
    "reliability.rate-limiting": "per-client rate limits in front of the agent",
    "observability.structured-logs": "structured (JSON) logs of turns, tool calls and errors",
    "cost.model-routing": "the cheap model for easy requests, the strong one only where needed",
    "cost.dollar-caps": "spend caps ([budgets]) checked before each model call",
    "cost.session-budgets": "a per-session token budget, answered gracefully when spent",
    "cost.monitoring-alerts": "alerts when spend crosses [budgets] alert_thresholds",
    "safety.guardrails": "input and output checks (prompt injection, PII, secrets) on every turn",
    "safety.red-team": "a red-team review of the system prompt and the guardrails",
    "safety.feedback-channel": "a way for users to report a bad answer, reviewed by someone",
    "safety.human-approval": "high-risk tools wait for a human approver",
    "safety.api-auth": "authentication on the agent's API",
    "safety.request-limits": "oversized request bodies refused by the service",
    "safety.session-isolation": "a caller cannot read or join another caller's session",
}

# Parts of the agent-service template that an adopted agent need not have.
NOT_APPLICABLE = {
    "deployment.shared-state": "[deploy] state picks the template's state backend; "
    "an adopted agent keeps its state its own way (a person reviews it with the rollout)",
    "deployment.prompt-versioning": "prompt versions live in the template's "
    "prompts/system.yaml; an adopted agent's variants compare models and params",
    "deployment.feature-flags": "the template's feature flags; an adopted agent's "
    "flags, if any, are its own",
    "cost.caching": "response caching is the template's cache layer, optional elsewhere",
}


def is_adopted(project: Project) -> bool:
    """Whether ``project`` was adopted by ``workbench init`` rather than scaffolded."""
    return project.config.project.kind == "adopted"


def source_fingerprint(look_at: str):
    """Fingerprint the agent's own Python source; the evidence says what to look at."""

    def fingerprint(ctx: CheckContext) -> Fingerprint:
        from workbench.core.adopt.detect import python_files

        digest = hashlib.sha256()
        files = python_files(ctx.project.src_dir)
        for path in files:
            digest.update(str(path.relative_to(ctx.project.src_dir)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return Fingerprint(
            digest.hexdigest(), f"look at: {look_at} ({len(files)} Python files of the agent)"
        )

    return fingerprint


def _not_applicable(reason: str):
    def check(ctx: CheckContext) -> Verdict:
        return Verdict("n/a", (f"not applicable here: {reason}",))

    return check


# Judged differently in foreign code: by what a turn through the entry point leaves.
PROBED = {"observability.tracing"}
# A function agent ships behind the server ship generates: its probe routes are checked by
# starting that server. An HTTP agent's own service stays attested (LOOK_AT).
HEALTH = "reliability.health-probes"


LOCK = "deployment.locked-dependencies"
# Locks ship installs from besides requirements.lock; their freshness is their tool's to check.
OTHER_LOCKS = {"uv.lock": "uv lock --check", "poetry.lock": "poetry check --lock"}


def _other_locks(check):
    """The lock check, but a uv or Poetry lock (hashed, installed by ship) is not "missing"."""

    def adopted_check(ctx: CheckContext) -> Verdict:
        lock = next((n for n in OTHER_LOCKS if (ctx.root / n).is_file()), None)
        if (ctx.root / "requirements.lock").is_file() or lock is None:
            return check(ctx)
        return Verdict.warn(
            f"add `{OTHER_LOCKS[lock]}` to CI (the workbench checks freshness only for "
            "requirements.lock), or lock with `workbench lock .`",
            f"{lock}: the image and CI install its pins with hashes (workbench ship)",
            f"{lock}: not checked against pyproject.toml here",
        )

    return adopted_check


def adopted_item(item: Item, project: Project | None = None) -> Item:
    """``item`` as it applies to an adopted project."""
    if item.id in PROBED:
        from workbench.core.readiness.probes.adopted_tracing import probe_adopted_tracing

        return replace(item, kind="dynamic", check=probe_adopted_tracing, lane="runner")
    if item.id == HEALTH and project is not None and project.config.agent.adapter == "function":
        from workbench.core.readiness.probes.adopted_health import probe_adopted_health

        return replace(item, kind="dynamic", check=probe_adopted_health, lane="adopted-server")
    if item.id == LOCK:
        return replace(item, check=_other_locks(item.check)) if item.check else item
    if item.id in JUDGED:
        return item
    if item.id in NOT_APPLICABLE:
        return replace(item, check=_not_applicable(NOT_APPLICABLE[item.id]), required=False)
    look_at = LOOK_AT.get(item.id, f"what '{item.title}' asks, in the agent's code")
    return replace(
        item, kind="attested", check=None, fingerprint=source_fingerprint(look_at), lane=""
    )


def items_for(project: Project, items: Sequence[Item]) -> list[Item]:
    """The checklist that applies to ``project``: as is, or adapted for an adopted agent."""
    if not is_adopted(project):
        return list(items)
    return [adopted_item(item, project) for item in items]

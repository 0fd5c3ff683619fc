"""The checklist: every item, by group, with its kind and the function that judges it."""

from __future__ import annotations

from workbench.core.projects import Project
from workbench.core.readiness import attested as A
from workbench.core.readiness import checks_cost as cost
from workbench.core.readiness import checks_deployment as dep
from workbench.core.readiness import checks_observability as obs
from workbench.core.readiness import checks_reliability as rel
from workbench.core.readiness import checks_safety as saf
from workbench.core.readiness import checks_state as state
from workbench.core.readiness.model import GROUPS, Item
from workbench.core.readiness.probes import (
    agent,
    attack,
    behaviour,
    health,
    idempotency,
    project_tests,
    real_model,
    safety_evals,
)


def _static(id: str, title: str, check, required: bool = True) -> Item:
    return Item(id, id.split(".")[0], title, "static", check, required)


def _dynamic(id: str, title: str, check) -> Item:
    return Item(id, id.split(".")[0], title, "dynamic", check, lane=LANES.get(id, id))


# Items judged only when `workbench check --model` names a real model.
NEEDS_MODEL = {"reliability.model-reachable"}

# Which dynamic items share a lane (they share processes, so they run in turn).
LANES = {
    **dict.fromkeys(
        (
            "safety.api-auth",
            "safety.human-approval",
            "safety.request-limits",
            "safety.guardrails",
            "safety.session-isolation",
            "reliability.rate-limiting",
            "reliability.idempotent-writes",
        ),
        "service",
    ),
    **dict.fromkeys(
        (
            "reliability.graceful-degradation",
            "reliability.retries",
            "reliability.hung-tool",
            "reliability.step-limits",
            "cost.model-routing",
            "cost.caching",
            "cost.dollar-caps",
            "cost.session-budgets",
            "reliability.model-reachable",
        ),
        "runner",
    ),
}


def _attested(id: str, title: str, fingerprint) -> Item:
    return Item(id, id.split(".")[0], title, "attested", None, True, fingerprint)


ITEMS: tuple[Item, ...] = (
    # Reliability
    _dynamic(
        "reliability.health-probes",
        "Liveness and readiness probes (/healthz, /readiness)",
        health.probe_health,
    ),
    _dynamic(
        "reliability.model-reachable",
        "The chosen model answers (workbench check --model)",
        real_model.probe_model_reachable,
    ),
    _dynamic(
        "reliability.graceful-degradation",
        "Graceful degradation when a model or tool is down",
        agent.probe_fallback,
    ),
    _dynamic(
        "reliability.retries",
        "Exponential backoff on transient errors, no retry on 400/403",
        agent.probe_retries,
    ),
    _static(
        "reliability.circuit-breakers",
        "Circuit breakers on external calls",
        rel.check_circuit_breakers,
    ),
    _static(
        "reliability.timeouts",
        "Timeouts on every LLM call, tool call and the session",
        rel.check_timeouts,
    ),
    _dynamic(
        "reliability.hung-tool", "A hung tool is cut off at its timeout", agent.probe_hung_tool
    ),
    _dynamic(
        "reliability.step-limits", "Max steps and loop detection", behaviour.probe_step_limits
    ),
    _dynamic(
        "reliability.idempotent-writes",
        "Idempotent write tools: a retried request writes once",
        idempotency.probe_idempotent_writes,
    ),
    _dynamic(
        "reliability.rate-limiting",
        "Per-client rate limiting on the API",
        behaviour.probe_rate_limiting,
    ),
    # Deployment
    _dynamic(
        "deployment.project-tests",
        "The project's own test suite passes",
        project_tests.probe_project_tests,
    ),
    _static(
        "deployment.locked-dependencies",
        "Dependencies locked with hashes, lock fresh",
        dep.check_locked_dependencies,
    ),
    _static(
        "deployment.shared-state",
        "State shared by every replica (one pod over an embedded store)",
        state.check_shared_state,
    ),
    _static("deployment.eval-gate-ci", "Eval gate at each CI stage", dep.check_eval_gate_ci),
    _static(
        "deployment.rollback-documented",
        "Rollback procedure documented",
        dep.check_rollback_documented,
    ),
    _attested(
        "deployment.rollback-tested",
        "Rollback procedure tested",
        A.runbook_section("rollback", "roll back"),
    ),
    _attested(
        "deployment.progressive-rollout",
        "Canary or blue-green rollout in place",
        A.runbook_section("canary", "rollout", "blue-green", "deploy"),
    ),
    _static(
        "deployment.feature-flags", "Feature flags for new capabilities", dep.check_feature_flags
    ),
    _static(
        "deployment.prompt-versioning",
        "Prompt versioning with change tracking",
        dep.check_prompt_versioning,
    ),
    # Observability
    _static(
        "observability.structured-logs",
        "Structured logs for agent events",
        obs.check_structured_logs,
    ),
    _static(
        "observability.tracing",
        "OpenTelemetry tracing of agent, LLM and tool calls",
        obs.check_tracing,
    ),
    _attested(
        "observability.dashboards",
        "Dashboards: completion rate, latency, cost, safety",
        A.runbook_section("dashboard", "monitoring"),
    ),
    _attested(
        "observability.alerts", "Alert thresholds on key metrics", A.runbook_section("alert")
    ),
    _static(
        "observability.incident-runbook", "Incident response runbook", obs.check_incident_runbook
    ),
    _attested(
        "observability.on-call",
        "On-call rotation staffed",
        A.runbook_section("on-call", "on call", "oncall"),
    ),
    # Cost
    _dynamic(
        "cost.model-routing",
        "Model routing: the right model for each request",
        behaviour.probe_model_routing,
    ),
    _dynamic("cost.caching", "Response caching", behaviour.probe_caching),
    _dynamic(
        "cost.dollar-caps",
        "Dollar caps stop spending before the model is called",
        behaviour.probe_dollar_caps,
    ),
    _dynamic(
        "cost.session-budgets",
        "Per-session token budgets, answered gracefully",
        agent.probe_session_budget,
    ),
    _static("cost.monitoring-alerts", "Cost monitoring with alerts", cost.check_cost_alerts),
    _attested(
        "cost.review-cadence",
        "Regular cost review",
        A.combined(A.runbook_section("cost"), A.config_sections("models", "budgets")),
    ),
    # Safety
    _dynamic(
        "safety.guardrails",
        "Input and output guardrails on every message, tested",
        attack.probe_guardrails,
    ),
    _dynamic(
        "safety.evals", "Safety evals pass at 100%, gated in CI", safety_evals.probe_safety_evals
    ),
    _attested(
        "safety.red-team",
        "Red-team review of the current prompt and guardrails",
        A.prompt_and_guardrails,
    ),
    _static("safety.incident-plan", "Incident plan for safety failures", saf.check_incident_plan),
    _static(
        "safety.feedback-channel",
        "A channel for users to report problems",
        saf.check_feedback_channel,
    ),
    _dynamic(
        "safety.human-approval",
        "Human approval for high-risk tools, by approvers only",
        attack.probe_human_approval,
    ),
    _dynamic("safety.api-auth", "Authenticated API", attack.probe_api_auth),
    _dynamic(
        "safety.request-limits", "Oversized request bodies refused (413)", attack.probe_request_size
    ),
    _dynamic(
        "safety.session-isolation",
        "A caller cannot read or join another caller's session",
        attack.probe_session_isolation,
    ),
    _static("safety.secrets", "Secrets kept out of the code and the repository", saf.check_secrets),
)

assert all(item.group in GROUPS for item in ITEMS)
assert len({item.id for item in ITEMS}) == len(ITEMS)


def items_for(project: Project) -> list[Item]:
    """The checklist as it applies to ``project`` (an adopted agent's differs: adopted.py)."""
    from workbench.core.readiness.adopted import items_for as adapted

    return adapted(project, ITEMS)


def item(item_id: str) -> Item | None:
    """The item with this id."""
    return next((i for i in ITEMS if i.id == item_id), None)

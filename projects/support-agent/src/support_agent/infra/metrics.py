"""Prometheus metrics (prometheus-client): HTTP traffic, turns, model calls, spend, breakers.

Every metric lives in one `REGISTRY` owned by this module (not the library's global one),
so `/metrics` shows exactly what the service defines and tests can build many apps.
Labels are bounded: route templates (never raw paths), model and tool names, outcomes;
never a session id, a caller or a customer's text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Turns and model calls take seconds, not milliseconds: buckets up to the session timeout.
_SLOW_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "agent_http_requests",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "agent_http_request_duration_seconds",
    "Time from request to the last byte of the response (streams included).",
    ["route", "method"],
    buckets=(0.005, 0.025, 0.1, *_SLOW_BUCKETS),
    registry=REGISTRY,
)
TURNS = Counter("agent_turns", "Agent turns by outcome status.", ["status"], registry=REGISTRY)
TURN_LATENCY = Histogram(
    "agent_turn_duration_seconds",
    "Duration of one agent turn.",
    buckets=_SLOW_BUCKETS,
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "agent_model_calls",
    "Logical model calls (retries and fallbacks included) by requested model and outcome: "
    "ok, fallback (a fallback model answered), cache_hit, error.",
    ["model", "outcome"],
    registry=REGISTRY,
)
MODEL_LATENCY = Histogram(
    "agent_model_call_duration_seconds",
    "Duration of a logical model call, retries and fallbacks included.",
    ["model"],
    buckets=_SLOW_BUCKETS,
    registry=REGISTRY,
)
MODEL_FIRST_TOKEN = Histogram(
    "agent_model_time_to_first_token_seconds",
    "Streaming calls: time until the first content token arrived.",
    ["model"],
    buckets=_SLOW_BUCKETS,
    registry=REGISTRY,
)
MODEL_ATTEMPT_FAILURES = Counter(
    "agent_model_attempt_failures",
    "Failed model attempts (each retry or fallback attempt) by model and error type.",
    ["model", "error_type"],
    registry=REGISTRY,
)
TOKENS = Counter(
    "agent_tokens",
    "Tokens used by the model that answered, by direction (input, output).",
    ["model", "direction"],
    registry=REGISTRY,
)
COST = Counter(
    "agent_cost_usd", "Model spend in US dollars by answering model.", ["model"], registry=REGISTRY
)
ERRORS = Counter(
    "agent_errors",
    "Errors by component (turn, model, tool, stream) and kind.",
    ["component", "kind"],
    registry=REGISTRY,
)
TOOL_CALLS = Counter(
    "agent_tool_calls", "Tool calls by tool and status.", ["tool", "status"], registry=REGISTRY
)
BUDGET_USED = Gauge(
    "agent_budget_used",
    "Spend against each budget as last seen by this pod (tokens or USD, see the kind).",
    ["kind"],
    registry=REGISTRY,
)
BUDGET_LIMIT = Gauge(
    "agent_budget_limit", "The configured limit of each budget.", ["kind"], registry=REGISTRY
)
BUDGET_EXCEEDED = Counter(
    "agent_budget_exceeded",
    "Turns stopped because a budget was reached, by budget kind.",
    ["kind"],
    registry=REGISTRY,
)
MODEL_ENDPOINT_UP = Gauge(
    "agent_model_endpoint_up",
    "1 when the last background check of the model endpoint passed, else 0 "
    "(alert on it; it never takes the pod out of rotation).",
    registry=REGISTRY,
)
MODEL_ENDPOINT_CHECKED = Gauge(
    "agent_model_endpoint_last_check_timestamp_seconds",
    "When the model endpoint was last checked (Unix time).",
    registry=REGISTRY,
)
READY = Gauge("agent_ready", "1 when this pod reports ready on /readiness.", registry=REGISTRY)
WARMUP_SECONDS = Gauge(
    "agent_warmup_duration_seconds",
    "How long the start-up warm-up took.",
    registry=REGISTRY,
)

BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


class BreakerCollector(Collector):
    """Reads each tool's circuit breaker at scrape time (0 closed, 1 half-open, 2 open)."""

    def __init__(self) -> None:
        self.source: Callable[[], Iterable[tuple[str, str]]] | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """One sample per tool breaker, from the registered source."""
        family = GaugeMetricFamily(
            "agent_circuit_breaker_state",
            "Circuit breaker state per tool: 0 closed, 1 half-open, 2 open.",
            labels=["tool"],
        )
        for name, state in self.source() if self.source else ():
            family.add_metric([name], BREAKER_STATES.get(state, 2))
        yield family


BREAKERS = BreakerCollector()
REGISTRY.register(BREAKERS)


def watch_breakers(source: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """Report the breakers `source()` yields as (tool name, pybreaker state name)."""
    BREAKERS.source = source


def render() -> bytes:
    """The exposition text of every metric."""
    return generate_latest(REGISTRY)


def observe_model_call(
    model: str,
    outcome: str,
    seconds: float,
    *,
    answered_by: str | None = None,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float | None = None,
) -> None:
    """Count one logical model call with its duration, tokens and cost."""
    MODEL_CALLS.labels(model, outcome).inc()
    MODEL_LATENCY.labels(model).observe(seconds)
    if outcome == "error":
        ERRORS.labels("model", "call_failed").inc()
    answered = answered_by or model
    if input_tokens:
        TOKENS.labels(answered, "input").inc(input_tokens)
    if output_tokens:
        TOKENS.labels(answered, "output").inc(output_tokens)
    if cost_usd:
        COST.labels(answered).inc(cost_usd)


def observe_attempt_failure(model: str | None, error: BaseException | None) -> None:
    """Count one failed attempt inside a model call (it may still succeed on retry)."""
    MODEL_ATTEMPT_FAILURES.labels(
        model or "unknown", type(error).__name__ if error else "unknown"
    ).inc()


def observe_turn(status: str, seconds: float, error_kind: str | None = None) -> None:
    """Count one finished turn; failed turns also count as an error of their kind."""
    TURNS.labels(status).inc()
    TURN_LATENCY.observe(seconds)
    if status == "error":
        ERRORS.labels("turn", error_kind or "error").inc()


def observe_budgets(usage: dict[str, tuple[float, float | None]]) -> None:
    """Publish the service-wide budgets' (used, limit) as a turn saw them.

    Per-request, per-session and per-caller budgets are left out: one turn's value says
    nothing about the next caller, and a label per caller would grow without bound.
    """
    for kind, (used, limit) in usage.items():
        if kind.endswith(("per_request", "per_session", "per_caller")):
            continue
        BUDGET_USED.labels(kind).set(used)
        if limit is not None:
            BUDGET_LIMIT.labels(kind).set(limit)


def observe_tool_call(tool: str, status: str) -> None:
    """Count one tool call by its outcome."""
    TOOL_CALLS.labels(tool, status).inc()
    if status not in ("ok", "pending_approval"):
        ERRORS.labels("tool", status).inc()


def observe_model_endpoint(up: bool) -> None:
    """Record the result of a background check of the model endpoint."""
    MODEL_ENDPOINT_UP.set(1 if up else 0)
    MODEL_ENDPOINT_CHECKED.set(time.time())


class HTTPMetrics:
    """Pure ASGI middleware: counts requests and times them to the last byte sent.

    The route label is the matched route's template (`/agent/approvals/{approval_id}`), so
    ids in paths do not create new series; unmatched paths share the label `unmatched`.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Wrap `send` to see the status; record when the response ends (or fails)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(label, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(label, scope["method"]).observe(time.perf_counter() - start)

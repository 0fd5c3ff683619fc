"""Deciding, per call, which latency and which fault (if any) the mock injects."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.mock.draws import unit
from workbench.core.mock.schema import Fault, Latency, Rule

# The transient faults a global fault rate draws from, equally likely.
TRANSIENT = (
    Fault(kind="status", status=429, retry_after=1),
    Fault(kind="status", status=500),
    Fault(kind="status", status=503),
)


@dataclass(frozen=True)
class Overrides:
    """Global settings that apply to every call, whatever the rule says."""

    latency_ms: float | None = None
    fault_rate: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class Plan:
    """What to do to one call before (or instead of) answering it."""

    latency_ms: float = 0.0
    fault: Fault | None = None
    source: str = ""


def sample_latency(spec: Latency, *key: object) -> float:
    """One latency in ms from ``spec``, drawn reproducibly from ``key``."""
    if spec.ms is not None:
        return spec.ms
    first = unit("latency", *key)
    if spec.min is not None and spec.max is not None:
        return spec.min + (spec.max - spec.min) * first
    second = unit("latency-2", *key)
    # Box-Muller: two uniform draws give one standard normal draw.
    normal = math.sqrt(-2.0 * math.log(1.0 - first)) * math.cos(2 * math.pi * second)
    return max(0.0, (spec.mean or 0.0) + (spec.stddev or 0.0) * normal)


def rule_fault(rule: Rule | None, request_hash: str, occurrence: int, seed: int) -> Fault | None:
    """The first of the rule's faults that fires for the ``occurrence``-th sight of this request."""
    if rule is None:
        return None
    for index, fault in enumerate(rule.fault):
        if fault.fail_first is not None:
            if occurrence < fault.fail_first:
                return fault
            continue
        if unit(seed, fault.seed, rule.id, index, request_hash, occurrence) < fault.probability:
            return fault
    return None


def plan_for(rule: Rule | None, request_hash: str, occurrence: int, overrides: Overrides) -> Plan:
    """Latency and fault for one call: the global overrides win over the rule's own settings."""
    rule_id = rule.id if rule else ""
    latency = 0.0
    if overrides.latency_ms is not None:
        latency = max(0.0, overrides.latency_ms)
    elif rule is not None and rule.latency_ms is not None:
        latency = sample_latency(rule.latency_ms, overrides.seed, rule_id, request_hash, occurrence)
    rate = overrides.fault_rate
    if rate and unit(overrides.seed, "global-fault", request_hash, occurrence) < rate:
        pick = unit(overrides.seed, "global-fault-kind", request_hash, occurrence)
        return Plan(latency, TRANSIENT[int(pick * len(TRANSIENT))], "global")
    fault = rule_fault(rule, request_hash, occurrence, overrides.seed)
    return Plan(latency, fault, f"rule {rule_id}" if fault else "")

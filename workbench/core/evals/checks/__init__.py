"""The assertion registry: each type validates its spec at load time and grades an observation."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workbench.core.evals.observation import AssertionResult, Observation
from workbench.core.evals.spec import Assertion

Verdict = tuple[bool, float, str]
GradeFn = Callable[[Assertion, Observation], "Verdict | Awaitable[Verdict]"]


@dataclass(frozen=True)
class Check:
    """One assertion type: how to validate its ``value`` and how to grade with it."""

    name: str
    grade: GradeFn
    validate: Callable[[Assertion], None] = lambda assertion: None
    # Reads the run's trace (tool calls, LLM calls) rather than the reply text.
    needs_trace: bool = False


class CheckError(Exception):
    """A check that cannot grade this outcome (the case's error, its message shown as is)."""


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add an assertion type to the registry (later registrations replace earlier ones)."""
    _REGISTRY[check.name] = check
    return check


def get_check(name: str) -> Check:
    """The check for an assertion type; raises ``KeyError`` for an unknown one."""
    return _REGISTRY[name]


async def grade(assertion: Assertion, observation: Observation) -> AssertionResult:
    """Grade one assertion, applying ``not-`` negation and the assertion's threshold."""
    if observation.variables and _has_template(assertion.value):
        from workbench.core.evals.loader import render

        assertion = assertion.model_copy(
            update={"value": render(assertion.value, observation.variables)}
        )
    outcome = get_check(assertion.type).grade(assertion, observation)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    passed, score, reason = outcome
    if assertion.threshold is not None and assertion.type in _SCORED:
        passed = score >= assertion.threshold
    if assertion.negate:
        passed, score = not passed, 1.0 - score
        reason = f"NOT: {reason}"
    return AssertionResult(
        type=assertion.label,
        passed=passed,
        score=round(score, 6),
        reason=reason,
        weight=assertion.weight,
        metric=assertion.metric,
    )


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(_has_template(item) for item in value)
    if isinstance(value, dict):
        return any(_has_template(item) for item in value.values())
    return False


def needs_trace(assertions: list[Assertion]) -> bool:
    """Whether any of ``assertions`` reads the trace."""
    return any(
        get_check(assertion.type).needs_trace or needs_trace(assertion.assertions or [])
        for assertion in assertions
    )


def _load() -> None:
    from workbench.core.evals.checks import (
        faithfulness,
        finish,
        groups,
        jsonextract,
        judge,
        python,
        retrieval,
        similar,
        text,
        trace,
    )

    for module in (
        text,
        trace,
        judge,
        python,
        jsonextract,
        finish,
        groups,
        similar,
        retrieval,
        faithfulness,
    ):
        for check in module.CHECKS:
            register(check)


# Types whose threshold compares their score (the metric types use theirs as a limit).
_SCORED = {"llm-rubric", "python", "contains-all"}

_load()
ASSERTION_TYPES: tuple[str, ...] = tuple(sorted(_REGISTRY))


def describe() -> dict[str, Any]:
    """Every assertion type with whether it reads the trace, for help screens."""
    return {name: {"needs_trace": check.needs_trace} for name, check in sorted(_REGISTRY.items())}

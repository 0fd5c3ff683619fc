"""Assertions on the trace and figures: tool calls, trajectory, steps, latency, cost, tokens."""

from __future__ import annotations

from typing import Any

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation, ToolCall
from workbench.core.evals.spec import Assertion


def _expected_call(value: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        arguments = value.get("arguments", value.get("args", {}))
        if not isinstance(arguments, dict):
            raise ValueError("'arguments' must be a mapping (a subset of the call's arguments)")
        extra = set(value) - {"name", "arguments", "args"}
        if extra:
            raise ValueError(f"unknown key {sorted(extra)[0]!r} (expected name, arguments)")
        return value["name"], arguments
    raise ValueError("'value' must be a tool name or {name, arguments}")


def _subset(expected: Any, actual: Any) -> bool:
    """Whether ``expected`` is contained in ``actual`` (mappings by key, scalars loosely)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _subset(item, actual[key]) for key, item in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, str) or isinstance(actual, str):
        return str(expected).strip().lower() == str(actual).strip().lower()
    return expected == actual


def _matches(call: ToolCall, name: str, arguments: dict[str, Any]) -> bool:
    return call.name == name and _subset(arguments, call.arguments)


def _calls(obs: Observation) -> list[ToolCall]:
    return obs.tool_calls or []


def _names(calls: list[ToolCall]) -> str:
    return ", ".join(call.name for call in calls) or "no tools"


def _validate_called(assertion: Assertion) -> None:
    _expected_call(assertion.value)


def _tool_called(assertion: Assertion, obs: Observation) -> Verdict:
    name, arguments = _expected_call(assertion.value)
    calls = _calls(obs)
    if any(_matches(call, name, arguments) for call in calls):
        return True, 1.0, f"{name} called" + (f" with {arguments}" if arguments else "")
    same_name = [call for call in calls if call.name == name]
    if same_name:
        return False, 0.5, f"{name} called with {same_name[0].arguments}, expected {arguments}"
    return False, 0.0, f"{name} not called (called: {_names(calls)})"


def _validate_not_called(assertion: Assertion) -> None:
    if assertion.value is None:
        return
    values = assertion.value if isinstance(assertion.value, list) else [assertion.value]
    for value in values:
        _expected_call(value)


def _tool_not_called(assertion: Assertion, obs: Observation) -> Verdict:
    calls = _calls(obs)
    if assertion.value is None:
        ok = not calls
        return ok, float(ok), "no tool called" if ok else f"called {_names(calls)}"
    values = assertion.value if isinstance(assertion.value, list) else [assertion.value]
    for value in values:
        name, arguments = _expected_call(value)
        if any(_matches(call, name, arguments) for call in calls):
            return False, 0.0, f"{name} was called"
    return True, 1.0, f"none of {', '.join(_expected_call(v)[0] for v in values)} called"


def _validate_sequence(assertion: Assertion) -> None:
    _sequence_spec(assertion.value)


def _sequence_spec(value: Any) -> tuple[list[tuple[str, dict]], bool]:
    exact = False
    if isinstance(value, dict):
        exact = bool(value.get("exact", False))
        value = value.get("tools")
    if not isinstance(value, list) or not value:
        raise ValueError("'value' must be a list of tools, or {tools: [...], exact: true}")
    return [_expected_call(item) for item in value], exact


def _tool_sequence(assertion: Assertion, obs: Observation) -> Verdict:
    expected, exact = _sequence_spec(assertion.value)
    calls = _calls(obs)
    wanted = " → ".join(name for name, _ in expected)
    if exact:
        ok = len(calls) == len(expected) and all(
            _matches(call, name, args) for call, (name, args) in zip(calls, expected, strict=False)
        )
        matched = next(
            (
                index
                for index, (call, (name, args)) in enumerate(zip(calls, expected, strict=False))
                if not _matches(call, name, args)
            ),
            min(len(calls), len(expected)),
        )
    else:
        matched = 0
        for call in calls:
            if matched < len(expected) and _matches(call, *expected[matched]):
                matched += 1
        ok = matched == len(expected)
    actual = " → ".join(call.name for call in calls) or "no tools"
    reason = f"trajectory {actual}" + ("" if ok else f", expected {wanted}")
    return ok, matched / len(expected), reason


def _limit(assertion: Assertion) -> float:
    limit = assertion.threshold if assertion.value is None else assertion.value
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
        raise ValueError("needs a non-negative number as 'value' or 'threshold' (the limit)")
    return float(limit)


def _validate_limit(assertion: Assertion) -> None:
    _limit(assertion)


def _at_most(actual: float, limit: float, unit: str, what: str) -> Verdict:
    ok = actual <= limit
    score = 1.0 if ok else (limit / actual if actual else 0.0)
    return ok, score, f"{what} {actual:g}{unit} {'≤' if ok else '>'} {limit:g}{unit}"


def _max_steps(assertion: Assertion, obs: Observation) -> Verdict:
    steps = obs.llm_calls if obs.llm_calls is not None else (obs.steps or 0)
    return _at_most(steps, _limit(assertion), "", "LLM calls")


CHECKS = [
    Check("tool-called", _tool_called, _validate_called, needs_trace=True),
    Check("tool-not-called", _tool_not_called, _validate_not_called, needs_trace=True),
    Check(
        "tool-sequence",
        _tool_sequence,
        _validate_sequence,
        needs_trace=True,
    ),
    Check("max-steps", _max_steps, _validate_limit, needs_trace=True),
    Check(
        "latency",
        lambda a, o: _at_most(round(o.latency_ms, 1), _limit(a), " ms", "latency"),
        _validate_limit,
    ),
    Check(
        "cost",
        lambda a, o: _at_most(round(o.cost_usd, 6), _limit(a), " USD", "cost"),
        _validate_limit,
    ),
    Check("tokens", lambda a, o: _at_most(o.tokens, _limit(a), "", "tokens"), _validate_limit),
]

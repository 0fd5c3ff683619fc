"""Grading one case's outcome: turns into an observation, assertions into a scored verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from workbench.core.evals.checks import CheckError, grade, needs_trace
from workbench.core.evals.observation import AssertionResult, Observation, ToolCall
from workbench.core.evals.retrieval import Chunk, chunks_from_result, fill_texts, unique
from workbench.core.evals.spec import Case


@dataclass(slots=True)
class TraceFacts:
    """What a run's trace(s) say: tool calls in start order, LLM calls, tokens and cost."""

    tool_calls: list[ToolCall] = field(default_factory=list)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    # The last LLM span's finish reason, when its instrumentation recorded one.
    finish_reason: str | None = None
    # Per trace id, the chunks its RETRIEVER spans list (a trace without one is absent).
    retrievals: dict[str, list[Chunk]] = field(default_factory=dict)


class TraceSource(Protocol):
    """Where the engine reads a turn's trace once it has run."""

    async def facts(self, trace_ids: list[str]) -> TraceFacts | None:
        """The facts of these traces, or ``None`` when none of them reached the store."""


@dataclass(slots=True)
class Graded:
    """A case's verdict: status (pass, fail, error), weighted score and each assertion's result."""

    status: str
    score: float
    assertions: list[AssertionResult]
    error: str | None = None


def tool_calls_from_result(result: dict[str, Any]) -> list[ToolCall]:
    """The tool calls a turn result lists (used only when its trace never reached the store)."""
    calls = []
    for call in result.get("tool_calls") or []:
        if isinstance(call, dict) and call.get("name"):
            arguments = call.get("arguments")
            calls.append(
                ToolCall(
                    name=str(call["name"]),
                    arguments=arguments if isinstance(arguments, dict) else {},
                    status=str(call.get("status") or "ok"),
                )
            )
    return calls


async def attach_trace(obs: Observation, case: Case, traces: TraceSource | None) -> None:
    """Fill the observation's tool calls and LLM calls from the trace when the case needs them."""
    if not needs_trace(case.assertions):
        return
    facts = await traces.facts(obs.trace_ids) if traces is not None and obs.trace_ids else None
    attach_retrieval(obs, facts)
    if facts is None:
        obs.tool_calls = tool_calls_from_result(obs.result)
        obs.llm_calls = obs.steps
        obs.trace_source = "result"
        return
    obs.tool_calls = facts.tool_calls
    obs.llm_calls = facts.llm_calls
    obs.finish_reason = facts.finish_reason
    if not obs.tokens and (facts.input_tokens or facts.output_tokens):
        obs.input_tokens, obs.output_tokens = facts.input_tokens, facts.output_tokens
    if not obs.cost_usd and facts.cost_usd:
        obs.cost_usd = facts.cost_usd


def attach_retrieval(obs: Observation, facts: TraceFacts | None) -> None:
    """The chunks the graded turn retrieved: its trace's RETRIEVER spans, else the result's.

    Only the last turn's trace counts (the reply graded is that turn's); a span that
    recorded no chunk text takes the text the result lists for the same chunk id.
    """
    from_result = chunks_from_result(obs.result)
    last = obs.trace_ids[-1].lower() if obs.trace_ids else None
    spans = facts.retrievals.get(last) if facts is not None and last else None
    if spans is not None:
        obs.contexts, obs.contexts_source = unique(fill_texts(spans, from_result)), "trace"
    elif from_result:
        obs.contexts, obs.contexts_source = unique(from_result), "result"


async def grade_case(case: Case, obs: Observation) -> Graded:
    """Grade every assertion; weighted score ≥ the case's threshold passes, else all must pass."""
    results: list[AssertionResult] = []
    for assertion in case.assertions:
        try:
            results.append(await grade(assertion, obs))
        except Exception as error:  # a grader fault is the case's error, not a crash of the run
            text = " ".join(str(error).split())
            if not isinstance(error, CheckError):
                text = f"{type(error).__name__}: {text}"
            return Graded("error", 0.0, results, f"{assertion.label}: {text}")
    if obs.trace_source == "result":
        for result in results:
            if result.type.removeprefix("not-") in {
                "tool-called",
                "tool-not-called",
                "tool-sequence",
            }:
                result.reason += " (trace not in the store; read the turn result)"
    weights = sum(result.weight for result in results)
    score = sum(result.score * result.weight for result in results) / weights if weights else 1.0
    if case.threshold is not None:
        passed = score >= case.threshold
    else:
        passed = all(result.passed for result in results if result.weight > 0)
    return Graded("pass" if passed else "fail", round(score, 6), results)

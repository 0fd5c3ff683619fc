"""``finish-reason``: why the model stopped (``stop``, ``length``, ``tool_calls``, …).

Read from the last LLM span of the turn's trace (``gen_ai.response.finish_reasons``), else
from the turn result's ``finish_reason``; provider spellings are normalised to OpenAI's.
"""

from __future__ import annotations

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion

# Anthropic, Gemini and Bedrock spellings of the same reasons, as OpenAI names them.
_SYNONYMS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "safety": "content_filter",
    "recitation": "content_filter",
    "refusal": "content_filter",
}
KNOWN = ("stop", "length", "tool_calls", "content_filter")


def normalise(reason: str) -> str:
    """A provider's finish reason in OpenAI's words (``end_turn`` -> ``stop``)."""
    folded = reason.strip().lower()
    return _SYNONYMS.get(folded, folded)


def _validate(assertion: Assertion) -> None:
    if not isinstance(assertion.value, str) or not assertion.value.strip():
        raise ValueError(f"'value' must be a finish reason ({', '.join(KNOWN)})")


def _finish_reason(assertion: Assertion, obs: Observation) -> Verdict:
    actual = obs.finish_reason or obs.result.get("finish_reason")
    if not actual:
        raise ValueError(
            "the turn recorded no finish reason (no gen_ai.response.finish_reasons on its"
            " LLM spans, no finish_reason in the result)"
        )
    expected = normalise(str(assertion.value))
    ok = normalise(str(actual)) == expected
    return ok, float(ok), f"finish reason {actual!r}" + ("" if ok else f", expected {expected!r}")


CHECKS = [Check("finish-reason", _finish_reason, _validate, needs_trace=True)]

"""``llm-rubric``: a judge model grades the reply by a rubric (deterministic under the mock)."""

from __future__ import annotations

import json
import re

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.endpoints import check_named_model
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion

JUDGE_SYSTEM = (
    "You are an eval judge for an AI assistant. Read the RUBRIC and the OUTPUT. "
    'Reply with JSON only: {"pass": true or false, "score": a number from 0 to 1, '
    '"reason": "one sentence"}.'
)
_STOP = set(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "answer",
        "answers",
        "assistant",
        "because",
        "before",
        "being",
        "below",
        "between",
        "both",
        "could",
        "does",
        "doing",
        "during",
        "each",
        "every",
        "from",
        "further",
        "have",
        "having",
        "into",
        "itself",
        "just",
        "mention",
        "mentions",
        "more",
        "most",
        "must",
        "need",
        "only",
        "other",
        "output",
        "over",
        "reply",
        "response",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "user",
        "users",
        "polite",
        "politely",
        "clearly",
    ]
)


def _validate(assertion: Assertion) -> None:
    if not isinstance(assertion.value, str) or not assertion.value.strip():
        raise ValueError("'value' must be the rubric text")
    check_named_model(assertion.provider)


async def _llm_rubric(assertion: Assertion, obs: Observation) -> Verdict:
    if obs.services is None:
        return lexical_verdict(str(assertion.value), obs.output, assertion.threshold)
    return await obs.services.judge(
        str(assertion.value), obs.output, provider=assertion.provider, observation=obs
    )


def judge_messages(rubric: str, output: str) -> list[dict[str, str]]:
    """The chat messages sent to the judge model."""
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"RUBRIC:\n{rubric}\n\nOUTPUT:\n{output}"},
    ]


def parse_verdict(text: str | None) -> Verdict | None:
    """A judge reply as a verdict: JSON {pass, score, reason}, or a reply opening PASS/FAIL."""
    if not text:
        return None
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match:
        try:
            data = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("pass"), bool):
            score = data.get("score")
            score = float(score) if isinstance(score, int | float) else float(data["pass"])
            return data["pass"], min(max(score, 0.0), 1.0), str(data.get("reason", ""))[:300]
    head = text.strip().upper()
    if head.startswith(("PASS", "FAIL")):
        ok = head.startswith("PASS")
        return ok, float(ok), text.strip()[:300]
    return None


def _stems(text: str) -> set[str]:
    return {word[:5] for word in re.findall(r"[a-z0-9]+", text.lower()) if len(word) >= 4}


def lexical_verdict(rubric: str, output: str, threshold: float | None = None) -> Verdict:
    """The mock judge: the share of the rubric's content words that the output contains.

    Deterministic, so eval runs against the mock are reproducible when no mock rule
    answers the judge's prompt; ``threshold`` (default 0.5) decides pass or fail.
    """
    wanted = {stem for stem in _stems(rubric) if stem not in {w[:5] for w in _STOP}}
    if not wanted:
        return bool(output.strip()), float(bool(output.strip())), "mock judge: empty rubric"
    found = wanted & _stems(output)
    score = len(found) / len(wanted)
    ok = score >= (0.5 if threshold is None else threshold)
    return ok, score, f"mock judge: {len(found)}/{len(wanted)} rubric terms in the output"


CHECKS = [Check("llm-rubric", _llm_rubric, _validate)]

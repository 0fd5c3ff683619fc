"""``faithfulness``: every sentence of the reply is supported by the contexts the turn retrieved.

With a judge (the assertion's ``provider``, or the run's ``--judge-model`` / ``[evals]
judge_model``) the judge model grades it; without one, a deterministic lexical check:
a sentence is supported when most of its content words occur in one retrieved chunk.
The reason says which method ran. Citation markers (``[id]``) are not claims.
"""

from __future__ import annotations

import re

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.checks.retrieval import check_share_threshold, retrieved, where_from
from workbench.core.evals.endpoints import MOCK_JUDGE, check_named_model
from workbench.core.evals.observation import Observation
from workbench.core.evals.retrieval import Chunk, strip_citations
from workbench.core.evals.spec import Assertion

# Share of a sentence's content words one chunk must hold for the sentence to be supported.
SUPPORT = 0.6
_CONTEXT_CHARS = 24_000
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z]+|\d+(?:[.,:]\d+)*")
# Function words, and the courtesy phrases replies wrap around facts ("Hope this helps!").
_STOP = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with within would you your yours yes
    hope helps help glad happy please let know anything else sure certainly course
    question questions assist thanks thank welcome feel free
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
JUDGE_RUBRIC = (
    "FAITHFULNESS. Every claim in the OUTPUT must be supported by the CONTEXTS below (the"
    " passages retrieved for this turn); a claim they do not state or directly imply is"
    " unsupported. Citation markers like [id] are not claims. Score: the share of the"
    " OUTPUT's sentences the CONTEXTS support; pass only if every one is supported.\n\n"
    "CONTEXTS:\n"
)


def _terms(text: str) -> set[str]:
    return {
        word if word[0].isdigit() else word[:5]
        for word in _WORD.findall(text.lower())
        if word not in _STOP and (word[0].isdigit() or len(word) >= 3)
    }


def sentences(reply: str) -> list[str]:
    """The reply's sentences, citation markers removed, list bullets and blank ones dropped."""
    parts = (part.strip().lstrip("-*•").strip() for part in _SENTENCE.split(strip_citations(reply)))
    return [part for part in parts if part]


def lexical_verdict(reply: str, chunks: list[Chunk], threshold: float | None) -> Verdict:
    """The deterministic check: the share of sentences whose content words one chunk mostly has."""
    claims = [(text, terms) for text in sentences(reply) if (terms := _terms(text))]
    if not claims:
        return True, 1.0, "lexical check: no claims to check in the reply"
    contexts = [_terms(chunk.text) for chunk in chunks]
    unsupported = [
        text
        for text, terms in claims
        if not any(len(terms & context) >= SUPPORT * len(terms) for context in contexts)
    ]
    score = (len(claims) - len(unsupported)) / len(claims)
    ok = score >= (1.0 if threshold is None else threshold)
    reason = (
        f"lexical check: {len(claims) - len(unsupported)}/{len(claims)} sentences supported"
        f" by the {len(chunks)} retrieved chunks"
    )
    if unsupported:
        reason += f"; unsupported: {unsupported[0][:80]!r}"
        reason += f" +{len(unsupported) - 1}" if len(unsupported) > 1 else ""
    return ok, score, reason


def judge_rubric(chunks: list[Chunk]) -> str:
    """The rubric the judge model gets: the faithfulness rule and the retrieved passages."""
    passages = "\n".join(f"[{chunk.id}] {chunk.text}" for chunk in chunks) or "(nothing)"
    return JUDGE_RUBRIC + passages[:_CONTEXT_CHARS]


def _judge_named(assertion: Assertion, obs: Observation) -> bool:
    if obs.services is None:
        return False
    if assertion.provider:
        return assertion.provider != MOCK_JUDGE
    override = getattr(obs.services, "judge_override", None) or {}
    return bool(override.get("model")) and override["model"] != MOCK_JUDGE


def _validate(assertion: Assertion) -> None:
    if assertion.value is not None:
        raise ValueError(
            "takes no 'value' (it grades the reply against what the turn retrieved);"
            " name a judge model with 'provider:'"
        )
    check_share_threshold(assertion)
    check_named_model(assertion.provider)


async def _faithfulness(assertion: Assertion, obs: Observation) -> Verdict:
    chunks = retrieved(obs)
    threshold = assertion.threshold

    def lexical() -> Verdict:
        ok, score, reason = lexical_verdict(obs.output, chunks, threshold)
        return ok, score, f"{reason} ({where_from(obs)})"

    if not _judge_named(assertion, obs):
        return lexical()
    ok, score, reason = await obs.services.judge(
        judge_rubric(chunks),
        obs.output,
        provider=assertion.provider,
        observation=obs,
        fallback=lexical,
    )
    if reason.startswith("lexical check"):
        return ok, score, reason
    if threshold is not None:
        ok = score >= threshold
    return ok, score, f"judge: {reason}"


CHECKS = [Check("faithfulness", _faithfulness, _validate, needs_trace=True)]

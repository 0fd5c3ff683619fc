"""Retrieval assertions: ``context-recall``, ``context-precision``, ``citation-correctness``.

They grade what the turn retrieved (its RETRIEVER spans, else its result's ``contexts``)
and what the reply cites. An id in a ``value`` is a chunk id (``returns-policy#2``) or a
source id (``returns-policy``), which stands for every chunk of that document.
"""

from __future__ import annotations

from workbench.core.evals.checks import Check, CheckError, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.retrieval import Chunk, citations_of, id_matches, source_of
from workbench.core.evals.spec import Assertion

RECALL_THRESHOLD = 1.0
PRECISION_THRESHOLD = 0.5
NO_RETRIEVAL = (
    "no retrieval recorded (the turn's trace has no RETRIEVER span and its result no"
    " 'contexts'; see docs/evals.md, Retrieval)"
)
_IDS = "a list of ids (source ids like returns-policy, or chunk ids like returns-policy#2)"


def ids_of(value: object) -> list[str]:
    """The ids an assertion's ``value`` lists (one id may be given as a string)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ValueError(f"'value' must be {_IDS}")
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError(f"'value' must be {_IDS}; each id a non-empty string")
    return [item.strip() for item in items]


def check_share_threshold(assertion: Assertion) -> None:
    """Refuse a threshold outside 0…1 (these scores are shares)."""
    if assertion.threshold is not None and not 0 <= assertion.threshold <= 1:
        raise ValueError("'threshold' is a share, from 0 to 1")


def retrieved(obs: Observation) -> list[Chunk]:
    """The chunks the turn retrieved; a ``CheckError`` when no retrieval was recorded."""
    if obs.contexts is None:
        raise CheckError(NO_RETRIEVAL)
    return obs.contexts


def where_from(obs: Observation) -> str:
    """Where the retrieved chunks were read: the trace's RETRIEVER spans or the turn result."""
    return "RETRIEVER spans" if obs.contexts_source == "trace" else "turn result"


def _validate_ids(assertion: Assertion) -> None:
    ids_of(assertion.value)
    check_share_threshold(assertion)


def _listing(items: list[str], limit: int = 5) -> str:
    more = f" +{len(items) - limit}" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _recall(assertion: Assertion, obs: Observation) -> Verdict:
    expected = ids_of(assertion.value)
    threshold = RECALL_THRESHOLD if assertion.threshold is None else assertion.threshold
    if obs.contexts is None:
        return False, 0.0, f"no retrieval recorded; expected {_listing(expected)}"
    found = [wanted for wanted in expected if any(id_matches(wanted, c) for c in obs.contexts)]
    missing = [wanted for wanted in expected if wanted not in found]
    score = len(found) / len(expected)
    ok = score >= threshold
    reason = f"{len(found)}/{len(expected)} expected ids retrieved"
    if missing:
        reason += f", missing {_listing(missing)}"
    return ok, score, f"{reason} ({'≥' if ok else '<'} {threshold:g}; {where_from(obs)})"


def average_precision(chunks: list[Chunk], relevant: list[str]) -> tuple[float, list[int]]:
    """Average precision of the ranked ``chunks``, and the 1-based ranks of the relevant ones.

    The mean of precision@k over the ranks k that hold a relevant chunk (0 with none).
    """
    ranks = [
        rank
        for rank, chunk in enumerate(chunks, start=1)
        if any(id_matches(wanted, chunk) for wanted in relevant)
    ]
    if not ranks:
        return 0.0, []
    return sum(hits / rank for hits, rank in enumerate(ranks, start=1)) / len(ranks), ranks


def _precision(assertion: Assertion, obs: Observation) -> Verdict:
    relevant = ids_of(assertion.value)
    chunks = retrieved(obs)
    threshold = PRECISION_THRESHOLD if assertion.threshold is None else assertion.threshold
    if not chunks:
        return False, 0.0, f"nothing retrieved ({where_from(obs)})"
    score, ranks = average_precision(chunks, relevant)
    ok = score >= threshold
    at = f"relevant at rank {_listing([str(r) for r in ranks])}" if ranks else "none relevant"
    return (
        ok,
        score,
        f"average precision {score:.2f} {'≥' if ok else '<'} {threshold:g} over"
        f" {len(chunks)} chunks, {at} ({where_from(obs)})",
    )


def _validate_citations(assertion: Assertion) -> None:
    if assertion.value is not None:
        ids_of(assertion.value)
    check_share_threshold(assertion)


def _cites(cited: str, expected: str) -> bool:
    return cited == expected or source_of(cited) == expected


def _citations(assertion: Assertion, obs: Observation) -> Verdict:
    chunks = retrieved(obs)
    cited, origin = citations_of(obs.result, obs.output)
    invalid = [c for c in cited if not any(id_matches(c, chunk) for chunk in chunks)]
    # Without citations: nothing invented, but retrieved chunks went uncited.
    score = (len(cited) - len(invalid)) / len(cited) if cited else float(not chunks)
    problems = []
    # A threshold tolerates a share of invented citations; without one, none is tolerated.
    if invalid and (assertion.threshold is None or score < assertion.threshold):
        problems.append(f"cites ids not retrieved: {_listing(invalid)}")
    if not cited and chunks:
        problems.append(f"cites nothing though {len(chunks)} chunks were retrieved")
    if assertion.value is not None:
        expected = ids_of(assertion.value)
        if not any(_cites(c, e) for c in cited for e in expected):
            problems.append(f"cites none of {_listing(expected)}")
    ok = not problems
    summary = (
        f"{len(cited) - len(invalid)}/{len(cited)} citations retrieved ({_listing(cited)})"
        if cited
        else "no citations"
    )
    if problems:
        detail = "; ".join(problems)
    elif invalid:
        detail = f"not retrieved: {_listing(invalid)} (within the threshold)"
    else:
        detail = "every cited id was retrieved"
    return ok, score, f"{summary}; {detail} (citations from the {origin}; {where_from(obs)})"


CHECKS = [
    Check("context-recall", _recall, _validate_ids, needs_trace=True),
    Check("context-precision", _precision, _validate_ids, needs_trace=True),
    Check("citation-correctness", _citations, _validate_citations, needs_trace=True),
]

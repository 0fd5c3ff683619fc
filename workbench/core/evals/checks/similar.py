"""``similar``: the reply means the same as the expected text (embedding cosine similarity).

Embeddings come through litellm from the assertion's ``provider`` (an embedding model),
else from the variant's own endpoint: the mock's deterministic ``/v1/embeddings`` for mock
variants, the variant's ``api_base`` when it has one. Never a hosted provider nobody named.
"""

from __future__ import annotations

import math

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.endpoints import check_named_model
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion

DEFAULT_THRESHOLD = 0.75


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    if len(a) != len(b):
        raise ValueError(f"embeddings of different sizes ({len(a)} and {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


def _expected(assertion: Assertion) -> list[str]:
    value = assertion.value
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _validate(assertion: Assertion) -> None:
    value = assertion.value
    if isinstance(value, list):
        if not value or not all(isinstance(item, str) and item.strip() for item in value):
            raise ValueError("'value' must be the expected text, or a non-empty list of texts")
    elif not isinstance(value, str) or not value.strip():
        raise ValueError("'value' must be the expected text, or a list of texts")
    if assertion.threshold is not None and not -1 <= assertion.threshold <= 1:
        raise ValueError("'threshold' is a cosine similarity, from -1 to 1 (default 0.75)")
    check_named_model(assertion.provider)


async def _similar(assertion: Assertion, obs: Observation) -> Verdict:
    if obs.services is None:
        raise ValueError("similar needs an embedding model (run through workbench eval)")
    expected = _expected(assertion)
    vectors = await obs.services.embed(
        [obs.output, *expected], provider=assertion.provider, observation=obs
    )
    threshold = DEFAULT_THRESHOLD if assertion.threshold is None else assertion.threshold
    scores = [cosine(vectors[0], vector) for vector in vectors[1:]]
    best = max(range(len(scores)), key=scores.__getitem__)
    score = max(scores[best], 0.0)
    ok = scores[best] >= threshold
    target = f" to {expected[best][:40]!r}" if len(expected) > 1 else ""
    sign = "≥" if ok else "<"
    return ok, score, f"similarity {scores[best]:.3f}{target} {sign} {threshold:g}"


CHECKS = [Check("similar", _similar, _validate)]

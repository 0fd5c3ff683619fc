"""``assert-set``: several assertions graded as one, by weighted score against a threshold."""

from __future__ import annotations

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion


def _validate(assertion: Assertion) -> None:
    if not assertion.assertions:
        raise ValueError("needs an 'assert' list of the grouped assertions")
    if assertion.value is not None:
        raise ValueError("takes no 'value': put the grouped assertions under 'assert'")
    if assertion.threshold is not None and not 0 <= assertion.threshold <= 1:
        raise ValueError("'threshold' is the share of the weighted score, from 0 to 1")


async def _assert_set(assertion: Assertion, obs: Observation) -> Verdict:
    from workbench.core.evals.checks import grade

    children = [await grade(child, obs) for child in assertion.assertions or []]
    weights = sum(child.weight for child in children)
    score = sum(c.score * c.weight for c in children) / weights if weights else 1.0
    failed = [child for child in children if not child.passed and child.weight > 0]
    if assertion.threshold is None:
        ok = not failed
        rule = "all must pass"
    else:
        ok = score >= assertion.threshold
        rule = f"score {score:.2f} {'≥' if ok else '<'} {assertion.threshold:g}"
    passed = len(children) - len(failed)
    detail = "; ".join(f"{c.type}: {c.reason}" for c in failed[:3])
    reason = f"{passed}/{len(children)} passed ({rule})" + (f" — {detail}" if detail else "")
    return ok, score, reason


CHECKS = [Check("assert-set", _assert_set, _validate)]

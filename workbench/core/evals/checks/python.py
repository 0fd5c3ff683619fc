"""``python``: a function of the project grades the reply, run in a subprocess, never in-process."""

from __future__ import annotations

from workbench.core.evals.checks import Check, Verdict
from workbench.core.evals.observation import Observation
from workbench.core.evals.spec import Assertion


def _validate(assertion: Assertion) -> None:
    if not isinstance(assertion.value, str) or not assertion.value.strip():
        raise ValueError("'value' must name a function: 'file.py:function' or 'module:function'")


async def _python(assertion: Assertion, obs: Observation) -> Verdict:
    if obs.services is None:
        return False, 0.0, "python assertions need a project to run in"
    context = {
        "input": obs.input,
        "vars": obs.variables,
        "case_id": obs.case_id,
        "variant": obs.variant,
        "status": obs.status,
        "result": obs.result,
        "latency_ms": obs.latency_ms,
        "tool_calls": [
            {"name": call.name, "arguments": call.arguments, "status": call.status}
            for call in obs.tool_calls or []
        ],
    }
    return await obs.services.python_check(str(assertion.value), obs.output, context)


CHECKS = [Check("python", _python, _validate, needs_trace=True)]

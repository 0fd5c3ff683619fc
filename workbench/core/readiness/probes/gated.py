"""Which tools must wait for a person: declared high/critical risk, or expected pending by evals.

The eval set is the project's own statement of behaviour: a case asserting that a turn ends
``pending_approval`` after calling a tool says that tool needs approval, whatever risk level
its declaration claims. So downgrading a refund tool to medium risk does not take it out of
the approval probe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workbench.core.readiness.probes.rules import ProbeTool
from workbench.core.readiness.source import SourceIndex
from workbench.core.readiness.tooldecl import sample_arguments, tool_declarations

APPROVAL_RISKS = ("high", "critical")


def _called_tools(assertion: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(tool, arguments) named by a ``tool-called`` / ``tool-sequence`` assertion."""
    value = assertion.get("value")
    items = value if isinstance(value, list) else [value]
    found: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        if isinstance(item, str):
            found.append((item, {}))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            args = item.get("arguments")
            found.append((item["name"], args if isinstance(args, dict) else {}))
    return found


def expected_pending(evals_dir: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """Tools the eval cases expect to end pending approval: name -> (arguments, case where)."""
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for path in sorted([*evals_dir.glob("*.yaml"), *evals_dir.glob("*.yml")]):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        cases = data.get("cases") if isinstance(data, dict) else None
        for case in cases if isinstance(cases, list) else []:
            asserts = case.get("assert") if isinstance(case, dict) else None
            if not isinstance(asserts, list):
                continue
            pending = any(
                isinstance(a, dict)
                and a.get("type") == "status"
                and a.get("value") == "pending_approval"
                for a in asserts
            )
            if not pending:
                continue
            calls = [
                call
                for a in asserts
                if isinstance(a, dict) and a.get("type") in ("tool-called", "tool-sequence")
                for call in _called_tools(a)
            ]
            if calls:
                name, args = calls[-1]
                found.setdefault(name, (args, f"{path.name}: case {case.get('id')}"))
    return found


def gated_tools(index: SourceIndex, evals_dir: Path) -> list[tuple[ProbeTool, str]]:
    """(tool with arguments its schema accepts, why it must wait for approval), in order."""
    expected = expected_pending(evals_dir)
    found = []
    for decl in tool_declarations(index):
        reasons = []
        if decl.risk in APPROVAL_RISKS:
            reasons.append(f"declared {decl.risk} risk")
        if decl.name in expected:
            reasons.append(f"{expected[decl.name][1]} expects pending_approval")
        arguments = sample_arguments(index, decl)
        if not reasons or arguments is None or decl.name == "?":
            continue
        # The eval's ids make the call reach real records; amounts stay the sample's (1), so
        # the probes' executed writes (an approval, an idempotency retry) stay small.
        from_evals = expected.get(decl.name, ({}, ""))[0]
        arguments = {
            **arguments,
            **{k: v for k, v in from_evals.items() if not isinstance(v, int | float)},
        }
        timeout = decl.value("timeout_s")
        tool = ProbeTool(
            decl.name,
            float(timeout) if isinstance(timeout, int | float) else None,
            arguments,
            decl.hit.where,
        )
        found.append((tool, "; ".join(reasons)))
    return found

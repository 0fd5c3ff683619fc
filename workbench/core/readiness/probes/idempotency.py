"""Idempotent writes, observed: the same request retried acts once; the key is deterministic.

Dynamic: a write tool is called through the service three times — twice with the same
``Idempotency-Key`` (a client retrying) and once with another — and each call is carried
to execution (approved with the approver key when it waits for approval). The retry must
return the first execution's result, not a second one.

Static (what cannot be observed offline): each write tool declares a key function, and
that function, followed through the project's call graph, never draws randomness or time.
"""

from __future__ import annotations

import ast
import uuid
from typing import Any

from workbench.core.readiness.callgraph import nondeterministic_calls
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.probes import rules as R
from workbench.core.readiness.probes.agent import NOT_RUN
from workbench.core.readiness.tooldecl import WRITE_RISKS, tool_declarations
from workbench.errors import WorkbenchError

RUN = "/agent/run"


def _static(ctx: CheckContext) -> tuple[Verdict | None, list[str], list]:
    """(a failing verdict or None, evidence, write declarations)."""
    decls = tool_declarations(ctx.source)
    if not decls:
        return (
            Verdict.fail(
                "declare tools in a registry with a risk level and, for write tools, an "
                f"`idempotency_key` ({ctx.pkg('tools', 'base.py')})"
            ),
            [],
            [],
        )
    writes = [d for d in decls if d.risk in WRITE_RISKS or d.has("idempotency_key")]
    missing = [d for d in writes if not d.has("idempotency_key")]
    if missing:
        return (
            Verdict.fail(
                "give each write tool an `idempotency_key=` (a function of its validated "
                "arguments) and run a call at most once per key",
                *(
                    f"{d.hit.where}: {d.name} (risk {d.risk}) has no idempotency key"
                    for d in missing
                ),
            ),
            [],
            writes,
        )
    evidence, random = [], []
    for decl in writes:
        node = decl.fields["idempotency_key"]
        evidence.append(f"{decl.hit.where}: {decl.name} idempotency_key={ast.unparse(node)}")
        random += [
            f"{decl.name}: {why}" for why in nondeterministic_calls(ctx.source, decl.hit, node)
        ]
    if random:
        return (
            Verdict.fail(
                "derive the idempotency key from the call's arguments only (canonical JSON of "
                "the validated arguments); a random or time-based key makes every retry a new "
                "write",
                *evidence,
                *random,
            ),
            evidence,
            writes,
        )
    return None, evidence, writes


def _executed(svc, keys: dict[str, str], call: dict[str, Any]) -> tuple[str, Any]:
    """(how the call ended, its result) — approving it first when it waits for approval."""
    status = call.get("status")
    if status == "pending_approval":
        result = call.get("result")
        approval = result.get("approval_id") if isinstance(result, dict) else None
        if not approval:
            return "pending without an approval id", None
        response = svc.send(
            "POST", f"/agent/approvals/{approval}/approve", key=keys["approver"], json={}
        )
        if response.status_code == 409:
            return "already decided (409)", None
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        outcome = body.get("outcome") if isinstance(body, dict) else None
        if not 200 <= response.status_code < 300 or not isinstance(outcome, dict):
            return f"approval {approval} -> {response.status_code}", None
        executed = outcome.get("status") == "ok"
        return f"approved, {outcome.get('status')}", outcome.get("result") if executed else None
    return str(status), call.get("result") if status == "ok" else None


def probe_idempotent_writes(ctx: CheckContext) -> Verdict:
    """A retried request (same Idempotency-Key) runs a write tool once; a new request runs again."""
    failing, evidence, writes = _static(ctx)
    if failing is not None:
        return failing
    if not writes:
        return Verdict.ok("every tool is read-only (low risk, no idempotency key)")
    callable_tools = {tool.name for tool, _ in ctx.gated_tools}
    target = next((d for d in writes if d.name in callable_tools), None)
    if not ctx.run_dynamic or target is None:
        note = NOT_RUN if not ctx.run_dynamic else "no write tool the probe can call"
        return Verdict.warn(note, *evidence)
    try:
        svc = ctx.harness.service()
    except WorkbenchError as error:
        return Verdict.error(error.message, *evidence)
    keys = ctx.harness.keys
    retry_key, other_key = f"wb-probe-{uuid.uuid4().hex}", f"wb-probe-{uuid.uuid4().hex}"
    ended = []
    for request_key in (retry_key, retry_key, other_key):
        headers = {"Idempotency-Key": request_key, "X-Request-ID": request_key}
        response = svc.send(
            "POST",
            RUN,
            key=keys["client"],
            json={"input": R.marker(R.approval_kind(target.name))},
            headers=headers,
        )
        body = response.json() if response.status_code < 500 else {}
        call = next((c for c in body.get("tool_calls") or [] if c.get("name") == target.name), None)
        if call is None:
            return Verdict.error(
                f"the probe's call of {target.name} never reached the tool "
                f"(POST {RUN} -> {response.status_code})",
                *evidence,
            )
        ended.append(_executed(svc, keys, call))
    (first_how, first), (retry_how, retry), (other_how, other) = ended
    facts = (
        f"{svc.url}: {target.name} via POST {RUN}: Idempotency-Key A -> {first_how}; A again -> "
        f"{retry_how}; B -> {other_how}"
    )
    if first is None:
        return Verdict.error(f"the first call did not execute: {facts}", *evidence)
    if retry is not None and retry != first:
        return Verdict.fail(
            "claim each write's idempotency key (caller, request Idempotency-Key, tool, "
            "canonical arguments) before running it, and answer a replay with the first "
            f"outcome ({ctx.module_rel('tools.registry', ctx.pkg('tools', 'registry.py'))})",
            *evidence,
            facts,
            f"the retried request wrote again: {_short(first)} then {_short(retry)}",
        )
    evidence.append(
        facts
        + (": the retry returned the first result" if retry is not None else ": no second write")
    )
    if other is not None and other == first:
        evidence.append(
            "note: a new request with equal arguments returned the first result too "
            "(two legitimate equal writes would be merged)"
        )
    return Verdict.ok(*evidence)


def _short(value: Any, limit: int = 70) -> str:
    """A result on one short line."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

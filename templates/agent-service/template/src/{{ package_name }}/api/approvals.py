"""The approvals API: approvers (and only approvers) list, inspect, approve and reject.

A client key gets 403 on every route here, so the approval id a customer sees in an answer
gives them nothing. Approving runs the tool on behalf of whoever asked; the tool re-checks
its business rules then (tools/approvals.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from ..tools import approvals
from ..tools.shop import get_registry
from .schemas import Decision
from .security import Caller, approver_rate_limited

router = APIRouter(tags=["approvals"])

StatusFilter = Literal["pending", "approved", "rejected", "all"]


@router.get("/agent/approvals")
async def list_approvals(
    _: Annotated[Caller, Depends(approver_rate_limited)], status: StatusFilter = "pending"
) -> dict[str, Any]:
    """Approvals waiting for a decision (or all unexpired ones with ?status=all)."""
    return {"approvals": await approvals.list_approvals(status)}


@router.get("/agent/approvals/{approval_id}")
async def get_approval(
    approval_id: str, _: Annotated[Caller, Depends(approver_rate_limited)]
) -> dict[str, Any]:
    """One approval: the tool, its arguments, who asked, when, why it needs approval."""
    record = await approvals.get_approval(approval_id)
    if record is None:
        raise HTTPException(status_code=404, detail="no such approval (unknown or expired)")
    return record


async def _decide(approval_id: str, approve: bool, caller: Caller, note: str | None) -> Any:
    try:
        record, outcome = await approvals.decide(
            get_registry(), approval_id, approve, caller.id, note
        )
    except KeyError:
        raise HTTPException(
            status_code=404, detail="no such approval (unknown or expired)"
        ) from None
    except approvals.NotPending as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
    body: dict[str, Any] = {"approval": record}
    if outcome is not None:
        body["outcome"] = outcome.record()
    return body


@router.post("/agent/approvals/{approval_id}/approve")
@router.post("/agent/approvals/{approval_id}", include_in_schema=False)  # the old one-step form
async def approve(
    approval_id: str,
    caller: Annotated[Caller, Depends(approver_rate_limited)],
    decision: Decision | None = None,
) -> dict[str, Any]:
    """Approve: the call runs now (its own rules may still refuse it: see `outcome`)."""
    return await _decide(approval_id, True, caller, decision.note if decision else None)


@router.post("/agent/approvals/{approval_id}/reject")
async def reject(
    approval_id: str,
    caller: Annotated[Caller, Depends(approver_rate_limited)],
    decision: Decision | None = None,
) -> dict[str, Any]:
    """Reject: the call never runs."""
    return await _decide(approval_id, False, caller, decision.note if decision else None)


@router.get("/agent/audit")
async def audit_log(
    _: Annotated[Caller, Depends(approver_rate_limited)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Who approved or rejected what, newest first."""
    return {"events": await approvals.audit_log(limit)}

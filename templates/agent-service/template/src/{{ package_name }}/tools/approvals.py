"""Approvals of high-risk tool calls: durable, expiring, decided by approvers, audited.

Every approval read and write goes through this module and the shared state store
(infra/state), so an approval requested on one replica is listed and decided on another,
and a decision is atomic: of two approvers clicking at once, exactly one runs the tool.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..infra.logs import get_logger
from ..infra.settings import get_settings
from ..infra.state import get_state
from . import context
from .base import Tool, ToolOutcome

if TYPE_CHECKING:
    from .registry import ToolRegistry

log = get_logger("approvals")

# Internal fields an approver does not need to see.
_PRIVATE = ("request_key", "idempotency_key")


class NotPending(Exception):
    """The approval was already decided."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(f"approval {record['id']} is already {record['status']}")
        self.record = record


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def public(record: dict[str, Any]) -> dict[str, Any]:
    """An approval as approvers see it over the API."""
    return {k: v for k, v in record.items() if k not in _PRIVATE}


async def request_approval(
    tool: Tool, arguments: dict[str, Any], idempotency_key: str | None
) -> dict[str, Any]:
    """Park a call until a person decides; returns the stored record."""
    caller = context.current()
    ttl_s = get_settings().approval_ttl_s
    now = datetime.now(UTC)
    record = {
        "id": uuid.uuid4().hex,
        "tool": tool.name,
        "arguments": arguments,
        "reason": f"{tool.name} is a {tool.risk.value}-risk tool: {tool.description}",
        "requested_by": caller.caller_id,
        "customer_id": caller.customer_id,
        "session_id": caller.session_id,
        "created_at": _iso(now),
        "expires_at": _iso(now + timedelta(seconds=ttl_s)),
        "status": "pending",
        "request_key": caller.request_key,
        "idempotency_key": idempotency_key,
    }
    await get_state().put_approval(record, ttl_s)
    log.info("approval_requested", approval_id=record["id"], tool=tool.name)
    return record


async def list_approvals(status: str | None = "pending") -> list[dict[str, Any]]:
    """Unexpired approvals with `status` ("all" for every status), oldest first."""
    records = await get_state().list_approvals(None if status == "all" else status)
    return [public(r) for r in records]


async def get_approval(approval_id: str) -> dict[str, Any] | None:
    """One approval, or None when unknown or expired."""
    record = await get_state().get_approval(approval_id)
    return public(record) if record else None


async def audit_log(limit: int = 100) -> list[dict[str, Any]]:
    """The latest decisions, newest first."""
    return await get_state().audit_log(limit)


async def decide(
    registry: ToolRegistry, approval_id: str, approve: bool, by: str, note: str | None
) -> tuple[dict[str, Any], ToolOutcome | None]:
    """Approve (and run the call, on behalf of whoever asked) or reject a pending approval.

    Raises KeyError when the approval is unknown or expired, NotPending when decided already.
    The tool re-checks its business rules when it runs, so approving cannot pay an
    ineligible refund.
    """
    state = get_state()
    status = "approved" if approve else "rejected"
    record = await state.decide_approval(approval_id, status, by, note)
    if record is None:
        current = await state.get_approval(approval_id)
        if current is None:
            raise KeyError(approval_id)
        raise NotPending(current)
    outcome = None
    if approve:
        asker = context.ToolContext(
            caller_id=record["requested_by"],
            customer_id=record.get("customer_id"),
            request_key=record.get("request_key"),
            session_id=record.get("session_id"),
        )
        with context.acting_for(asker):
            outcome = await registry.execute(
                record["tool"],
                record["arguments"],
                approved=True,
                idempotency_key=record.get("idempotency_key"),
            )
    if outcome is not None:
        # Keep what the approved call did on the record, for whoever inspects it later.
        record = {**record, "outcome": outcome.record()}
        left = datetime.fromisoformat(record["expires_at"]) - datetime.now(UTC)
        if left.total_seconds() > 0:
            await state.put_approval(record, left.total_seconds())
    event = {
        "approval_id": approval_id,
        "decision": status,
        "by": by,
        "at": _iso(datetime.now(UTC)),
        "note": note,
        "tool": record["tool"],
        "arguments": record["arguments"],
        "requested_by": record["requested_by"],
        "outcome": outcome.status if outcome else None,
    }
    await state.add_audit(event)
    log.warning("approval_decided", **{k: v for k, v in event.items() if k != "arguments"})
    return public(record), outcome

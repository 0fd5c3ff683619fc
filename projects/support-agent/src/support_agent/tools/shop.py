"""The example domain: customer support for an online shop, on in-package sample data."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from . import context
from .base import Risk, Tool, ToolError, canonical_arguments
from .extensions import extend_tools
from .registry import ToolRegistry

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "shop.json"

# Refunds issued in this process, by refund id (a real shop calls its payment API here, passing
# the registry's idempotency key along).
REFUNDS: dict[str, dict[str, Any]] = {}


@lru_cache(maxsize=1)
def shop_data() -> dict[str, Any]:
    """The sample orders and knowledge-base articles."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def find_order(order_id: str) -> dict[str, Any] | None:
    """The order with this id, or None (unscoped: only for code that already checked access)."""
    return next((o for o in shop_data()["orders"] if o["order_id"] == order_id), None)


def callers_order(order_id: str) -> dict[str, Any] | None:
    """The order with this id if the current caller's customer owns it, else None.

    Every tool that reads customer data goes through here: the customer comes from the
    authenticated caller (tools/context.py), never from the model's arguments, and another
    customer's order is indistinguishable from one that does not exist.
    """
    order = find_order(order_id)
    if order is None or not context.current().may_see(order.get("customer_id")):
        return None
    return order


class SearchArgs(BaseModel):
    """Arguments of search_knowledge_base."""

    query: str = Field(min_length=1, max_length=500, description="What the customer asks about")
    top_k: int = Field(default=3, ge=1, le=10, description="How many articles to return")


class OrderArgs(BaseModel):
    """An order id."""

    order_id: str = Field(pattern=r"^\d{4,10}$", description="The order number, digits only")


class RefundArgs(BaseModel):
    """Arguments of issue_refund."""

    order_id: str = Field(pattern=r"^\d{4,10}$", description="The order number, digits only")
    amount: float = Field(gt=0, le=10_000, description="Amount to refund, in dollars")
    reason: str = Field(min_length=3, max_length=500, description="Why the refund is issued")


async def search_knowledge_base(args: SearchArgs) -> list[dict[str, Any]]:
    """Articles ranked by how many of the query's words they contain."""
    words = {w for w in re.findall(r"[a-z]+", args.query.lower()) if len(w) > 2}
    scored = []
    for article in shop_data()["articles"]:
        text = f"{article['title']} {article['body']}".lower()
        score = sum(1 for word in words if word in text)
        if score:
            scored.append((score, article))
    scored.sort(key=lambda pair: -pair[0])
    return [
        {"id": a["id"], "title": a["title"], "body": a["body"]} for _, a in scored[: args.top_k]
    ]


def _with_dates(order: dict[str, Any]) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    hidden = ("delivered_days_ago", "expected_in_days", "customer_id")
    view = {k: v for k, v in order.items() if k not in hidden}
    if "delivered_days_ago" in order:
        view["delivered_on"] = (today - timedelta(days=order["delivered_days_ago"])).isoformat()
    if "expected_in_days" in order:
        view["expected_on"] = (today + timedelta(days=order["expected_in_days"])).isoformat()
    return view


async def lookup_order(args: OrderArgs) -> dict[str, Any]:
    """An order's status, items and dates (only the caller's own orders)."""
    order = callers_order(args.order_id)
    if order is None:
        return {"found": False, "order_id": args.order_id}
    return {"found": True, **_with_dates(order)}


def eligibility(order: dict[str, Any]) -> tuple[bool, str]:
    """Whether an order can be returned, and why."""
    window = shop_data()["return_window_days"]
    if order["status"] != "delivered":
        return False, f"the order is {order['status'].replace('_', ' ')}, not delivered yet"
    if any(item["final_sale"] for item in order["items"]):
        return False, "final-sale items cannot be returned"
    if order["delivered_days_ago"] > window:
        return False, f"delivered {order['delivered_days_ago']} days ago (window: {window} days)"
    days_left = window - order["delivered_days_ago"]
    return True, f"delivered {order['delivered_days_ago']} days ago; {days_left} days left"


async def check_return_eligibility(args: OrderArgs) -> dict[str, Any]:
    """Whether the order can be returned for a refund, and until when."""
    order = callers_order(args.order_id)
    if order is None:
        return {"order_id": args.order_id, "eligible": False, "reason": "order not found"}
    eligible, reason = eligibility(order)
    return {
        "order_id": args.order_id,
        "eligible": eligible,
        "reason": reason,
        "max_refund": order["total"] if eligible else 0.0,
    }


def refunded_so_far(order_id: str) -> float:
    """Dollars already refunded on an order."""
    return sum(r["amount"] for r in REFUNDS.values() if r["order_id"] == order_id)


def refund_policy(args: RefundArgs) -> str | None:
    """Why this refund must not be paid, or None: the business rules, whatever the prompt said.

    The registry runs this when the model asks (so an ineligible refund never reaches an
    approver) and again when an approver approves (the order may have aged out meanwhile).
    """
    order = callers_order(args.order_id)
    if order is None:
        return f"order {args.order_id} not found"
    eligible, reason = eligibility(order)
    if not eligible:
        return f"order {args.order_id} is not eligible for a refund: {reason}"
    left = round(order["total"] - refunded_so_far(args.order_id), 2)
    if args.amount > left:
        return (
            f"refund {args.amount:.2f} exceeds what is left to refund on the order "
            f"({left:.2f} of {order['total']:.2f})"
        )
    return None


async def issue_refund(args: RefundArgs) -> dict[str, Any]:
    """Pay a refund; re-checks the rules itself, so no caller can skip them."""
    problem = refund_policy(args)
    if problem:
        raise ToolError(problem)
    refund = {
        "refund_id": f"rf_{uuid.uuid4().hex[:12]}",
        "order_id": args.order_id,
        "amount": args.amount,
        "reason": args.reason,
        "status": "issued",
    }
    REFUNDS[refund["refund_id"]] = refund
    return refund


def shop_tools() -> list[Tool]:
    """The four support tools."""
    return [
        Tool(
            "search_knowledge_base",
            "Search the help-center articles (policies, shipping).",
            SearchArgs,
            search_knowledge_base,
            Risk.LOW,
            timeout_s=3.0,
            flag="kb_search",
        ),
        Tool(
            "lookup_order",
            "Look up an order's status, items and delivery date.",
            OrderArgs,
            lookup_order,
            Risk.LOW,
            timeout_s=3.0,
        ),
        Tool(
            "check_return_eligibility",
            "Check whether an order can be returned for a refund.",
            OrderArgs,
            check_return_eligibility,
            Risk.LOW,
            timeout_s=3.0,
        ),
        Tool(
            "issue_refund",
            "Refund an order (a person approves every refund before it is paid).",
            RefundArgs,
            issue_refund,
            Risk.HIGH,
            timeout_s=10.0,
            attempts=2,
            idempotency_key=canonical_arguments,
            flag="refunds",
            policy=refund_policy,
        ),
    ]


_registry: ToolRegistry | None = None


def get_registry() -> ToolRegistry:
    """The process's tool registry (breakers and pending approvals live here): the shop's
    tools as tools/extensions.py extends them."""
    global _registry
    if _registry is None:
        _registry = ToolRegistry(extend_tools(shop_tools()))
    return _registry


def reset_registry() -> None:
    """Forget breakers, approvals and refunds (tests)."""
    global _registry
    _registry = None
    REFUNDS.clear()

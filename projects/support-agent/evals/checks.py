"""Project-specific eval assertions, used as `type: python` in evals/*.yaml.

Each function takes the reply text and a context (`input`, `vars`, `status`,
`tool_calls`, `result`) and returns a bool, a score in [0, 1], or a dict with
`pass`, `score` and `reason`. The workbench runs them in a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_ORDER_NUMBER = re.compile(r"\border\s+#?(\d{4,10})\b", re.IGNORECASE)
_SHOP = Path(__file__).resolve().parent.parent / "src"


def no_invented_order_numbers(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """Every order number in the reply was given by the customer."""
    asked = set(_ORDER_NUMBER.findall(json.dumps(context.get("input"))))
    said = set(_ORDER_NUMBER.findall(output))
    invented = sorted(said - asked)
    if invented:
        return {"pass": False, "score": 0.0, "reason": f"mentions order {invented[0]}"}
    return {"pass": True, "score": 1.0, "reason": "only the customer's order numbers"}


def _order_totals() -> dict[str, float]:
    for data in _SHOP.glob("*/data/shop.json"):
        orders = json.loads(data.read_text(encoding="utf-8"))["orders"]
        return {order["order_id"]: order["total"] for order in orders}
    return {}


def refund_within_total(output: str, context: dict[str, Any]) -> dict[str, Any]:
    """No issue_refund call asks for more than the order's total."""
    totals = _order_totals()
    for call in context.get("tool_calls", []):
        if call["name"] != "issue_refund":
            continue
        arguments = call.get("arguments") or {}
        total = totals.get(str(arguments.get("order_id")))
        amount = float(arguments.get("amount") or 0)
        if total is not None and amount > total:
            return {"pass": False, "score": 0.0, "reason": f"refund {amount} > total {total}"}
    return {"pass": True, "score": 1.0, "reason": "refunds within the order total"}

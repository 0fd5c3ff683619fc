"""The readiness checklist as seen by shipping: evaluated through ``workbench.core.readiness``."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from typing import Any

from workbench.core.projects import Project
from workbench.core.ship.models import BlockingItem, ChecklistStatus

READINESS_MODULE = "workbench.core.readiness"


def evaluate_checklist(project: Project) -> ChecklistStatus:
    """Run ``workbench.core.readiness.evaluate(project)``; not evaluated when it is unavailable."""
    try:
        module = importlib.import_module(READINESS_MODULE)
        evaluate = module.evaluate
    except (ImportError, AttributeError):
        return ChecklistStatus(
            evaluated=False,
            passed=False,
            note=(
                "the readiness checklist could not be evaluated "
                f"({READINESS_MODULE}.evaluate is not available)"
            ),
        )
    result = evaluate(project)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return checklist_from_result(result)


def checklist_from_result(result: Any) -> ChecklistStatus:
    """A ``ChecklistStatus`` from a readiness result (``passed`` and ``blocking`` fields)."""
    if isinstance(result, ChecklistStatus):
        return result
    passed = bool(_field(result, "passed"))
    blocking = [_blocking_item(item) for item in (_field(result, "blocking") or [])]
    return ChecklistStatus(evaluated=True, passed=passed and not blocking, blocking=blocking)


def _field(result: Any, name: str) -> Any:
    return result.get(name) if isinstance(result, dict) else getattr(result, name, None)


def _blocking_item(item: Any) -> BlockingItem:
    """Blocking items come as ``(id, title, hint)`` tuples, dicts or objects with those fields."""
    if isinstance(item, BlockingItem):
        return item
    if isinstance(item, tuple | list):
        values = [str(value) for value in item] + ["", "", ""]
        return BlockingItem(id=values[0], title=values[1], hint=values[2])
    return BlockingItem(
        id=str(_field(item, "id") or ""),
        title=str(_field(item, "title") or ""),
        hint=str(_field(item, "hint") or ""),
    )

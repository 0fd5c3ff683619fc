"""The production-readiness checklist: static, dynamic and attested items with evidence and hints.

Public API: ``evaluate`` (the whole checklist), ``record_signoff`` / ``list_signoffs``
(attestations), and the result models.
"""

from workbench.core.readiness.checklist import evaluate
from workbench.core.readiness.model import ChecklistResult, ItemResult
from workbench.core.readiness.signoff import (
    Signoff,
    UnknownItem,
    attested_ids,
    list_signoffs,
    record_signoff,
)

__all__ = [
    "ChecklistResult",
    "ItemResult",
    "Signoff",
    "UnknownItem",
    "attested_ids",
    "evaluate",
    "list_signoffs",
    "record_signoff",
]

"""Generating the deployment files of a project: Dockerfile, compose, CI workflows, Kubernetes.

``plan_ship`` renders and compares with the disk, ``write_ship`` writes idempotently,
``validate_files`` runs the real validators (hadolint, kubernetes-validate,
check-jsonschema, zizmor) on a plan or on written files.
"""

from workbench.core.ship.checklist import evaluate_checklist
from workbench.core.ship.models import (
    BlockingItem,
    ChecklistStatus,
    Finding,
    GeneratedFile,
    ShipPlan,
    ShipResult,
    ValidatorResult,
)
from workbench.core.ship.plan import plan_ship, refusal_message, write_ship
from workbench.core.ship.validators import validate_files

__all__ = [
    "BlockingItem",
    "ChecklistStatus",
    "Finding",
    "GeneratedFile",
    "ShipPlan",
    "ShipResult",
    "ValidatorResult",
    "evaluate_checklist",
    "plan_ship",
    "refusal_message",
    "validate_files",
    "write_ship",
]

"""Recording and listing sign-offs of attested items, fingerprinting the evidence they vouch for."""

from __future__ import annotations

from pydantic import BaseModel

from workbench.core.projects import Project
from workbench.core.readiness.context import CheckContext
from workbench.errors import WorkbenchError
from workbench.store.signoffs import add_signoff, signoffs_for


class UnknownItem(WorkbenchError):
    """The ITEM of ``workbench signoff`` is not an attested checklist item."""


class Signoff(BaseModel):
    """A person's attestation of one checklist item, and whether it still holds."""

    item_id: str
    signed_by: str
    note: str
    signed_at: str
    fingerprint: str
    evidence: str
    valid: bool = True


def attested_ids(project: Project | None = None) -> list[str]:
    """The ids of every attested item (of ``project``'s checklist), in checklist order."""
    from workbench.core.readiness.registry import ITEMS, items_for

    items = items_for(project) if project is not None else ITEMS
    return [item.id for item in items if item.kind == "attested"]


def _attested_item(item_id: str, project: Project | None = None):
    from workbench.core.readiness.registry import ITEMS, items_for

    items = items_for(project) if project is not None else ITEMS
    item = next((i for i in items if i.id == item_id and i.kind == "attested"), None)
    if item is None:
        raise UnknownItem(
            f"{item_id!r} is not an attested item; valid: {', '.join(attested_ids(project))}"
        )
    return item


def record_signoff(project: Project, item_id: str, by: str, note: str) -> Signoff:
    """Store a sign-off of ``item_id`` by ``by`` with the fingerprint of its current evidence."""
    from workbench.store.db import connect

    item = _attested_item(item_id, project)
    if not by.strip():
        raise WorkbenchError("--by must name the person signing off")
    fingerprint = item.fingerprint(CheckContext(project, run_dynamic=False))
    db = connect()
    try:
        record = add_signoff(
            db,
            project_path=str(project.path),
            project_name=project.name,
            item_id=item.id,
            signed_by=by.strip(),
            note=note.strip(),
            fingerprint=fingerprint.sha256,
            evidence=fingerprint.evidence,
        )
    finally:
        db.conn.close()
    return Signoff(**record.model_dump(include=set(Signoff.model_fields)), valid=True)


def list_signoffs(project: Project) -> list[Signoff]:
    """Every sign-off of ``project``, newest first, marked valid while its evidence is unchanged."""
    from workbench.core.readiness.registry import items_for
    from workbench.store.db import connect

    fingerprints = {}
    ctx = CheckContext(project, run_dynamic=False)
    for item in items_for(project):
        if item.kind == "attested" and item.fingerprint is not None:
            fingerprints[item.id] = item.fingerprint(ctx).sha256
    db = connect()
    try:
        records = signoffs_for(db, str(project.path))
    finally:
        db.conn.close()
    return [
        Signoff(
            **record.model_dump(include=set(Signoff.model_fields) - {"valid"}),
            valid=fingerprints.get(record.item_id) == record.fingerprint,
        )
        for record in records
    ]

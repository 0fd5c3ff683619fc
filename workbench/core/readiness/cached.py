"""The full checklist from cached verdicts alone, when every one is cached: no probe starts.

A screen that shows a project's readiness on each visit (the TUI's Ship section) asks
here first; only when a verdict is missing (or the project changed since) does it run
``evaluate``, whose dynamic probes take tens of seconds.
"""

from __future__ import annotations

from workbench.core.projects import Project
from workbench.core.readiness.checklist import (
    VerdictCache,
    latest_eval_id,
    run_items,
    summarize,
)
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import ChecklistResult, ItemResult
from workbench.core.readiness.modelchoice import ModelChoice, label


def cached_checklist(
    project: Project, *, model: ModelChoice | None = None
) -> ChecklistResult | None:
    """The full checklist (dynamic probes included) of ``project`` as ``evaluate`` would
    return it now, built from cached verdicts; None when any verdict is not cached for the
    project as it is (files, checker, model, newest eval run). Attested items are judged
    afresh: they only read sign-offs."""
    from workbench.core.readiness.registry import NEEDS_MODEL, items_for
    from workbench.core.readiness.verdict_cache import fingerprint
    from workbench.store.db import connect

    items = [item for item in items_for(project) if model or item.id not in NEEDS_MODEL]
    db = connect(check_same_thread=False)
    try:
        print_ = fingerprint(
            project.path,
            model=label(model),
            run_dynamic=True,
            latest_eval=latest_eval_id(db, project),
        )
        cache = VerdictCache(db, str(project.path), print_)
        found: dict[str, ItemResult] = {}
        for item in items:
            if item.kind == "attested":
                continue
            hit = cache.get(item)
            if hit is None:
                return None
            found[item.id] = hit
        attested = [item for item in items if item.kind == "attested"]
        ctx = CheckContext(project, run_dynamic=False, db=db, model=model)
        for result in run_items(attested, ctx):
            found[result.id] = result
    finally:
        db.conn.close()
    return summarize(project.name, [found[item.id] for item in items])

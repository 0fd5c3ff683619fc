"""Evaluating the checklist: run each item's check, judge sign-offs, score, and list what blocks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workbench.core.projects import Project
from workbench.core.readiness.attested import judge_signoff
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import GROUPS, ChecklistResult, Item, ItemResult, Verdict
from workbench.errors import WorkbenchError


def select_items(items: Sequence[Item], only_group: str | None) -> list[Item]:
    """The items of one group (case-insensitive), or all; an unknown group is a user error."""
    if only_group is None:
        return list(items)
    group = only_group.strip().lower()
    if group not in GROUPS:
        raise WorkbenchError(f"unknown group {only_group!r}; groups: {', '.join(GROUPS)}")
    return [item for item in items if item.group == group]


def score(results: Sequence[ItemResult]) -> float:
    """The share of required items that pass (attested ones pass once validly signed)."""
    required = [r for r in results if r.required]
    if not required:
        return 1.0
    return round(sum(r.passed for r in required) / len(required), 4)


def summarize(project: str, results: list[ItemResult]) -> ChecklistResult:
    """The checklist result for ``results``: passed only when every required item passes."""
    blocking = [r for r in results if r.required and not r.passed]
    return ChecklistResult(
        project=project,
        passed=not blocking,
        score=score(results),
        items=results,
        blocking=blocking,
    )


def judge(item: Item, ctx: CheckContext) -> Verdict:
    """Run one item's check; a crash in a check becomes an ``error`` verdict, never a traceback."""
    try:
        if item.kind == "attested":
            from workbench.store.signoffs import latest_signoffs

            assert item.fingerprint is not None, item.id
            signoffs = latest_signoffs(ctx.db, str(ctx.root)) if ctx.db is not None else {}
            return judge_signoff(
                item.id, item.fingerprint(ctx), signoffs.get(item.id), ctx.cli_name
            )
        assert item.check is not None, item.id
        return item.check(ctx)
    except WorkbenchError as error:
        return Verdict.error(error.message)
    except Exception as error:  # a broken check must not hide the other items' verdicts
        return Verdict.error(f"{type(error).__name__}: {error}")


def run_items(
    items: Sequence[Item],
    ctx: CheckContext,
    progress: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Judge ``items`` in order, reporting each result as it comes; stops the probes at the end."""
    results: list[ItemResult] = []
    try:
        for item in items:
            result = item.result(judge(item, ctx))
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        ctx.close()
    return results


def evaluate(
    project: Project,
    *,
    only_group: str | None = None,
    run_dynamic: bool = True,
    progress: Callable[[ItemResult], None] | None = None,
) -> ChecklistResult:
    """Evaluate the production-readiness checklist of ``project``.

    Static items parse the project's code and files; dynamic items start its service
    and run its agent against the mock (skipped, as ``warn``, when ``run_dynamic`` is
    false); attested items pass while a person's sign-off matches the current evidence.
    Every process a probe starts is stopped before this returns.
    """
    from workbench.core.readiness.registry import ITEMS
    from workbench.store.db import connect

    items = select_items(ITEMS, only_group)
    db = connect()
    try:
        ctx = CheckContext(project, run_dynamic=run_dynamic, db=db)
        results = run_items(items, ctx, progress)
    finally:
        db.conn.close()
    return summarize(project.name, results)

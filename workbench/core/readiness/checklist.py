"""Evaluating the checklist: run each item's check, judge sign-offs, score, and list what blocks."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from workbench.core.projects import Project
from workbench.core.readiness.attested import judge_signoff
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import GROUPS, ChecklistResult, Item, ItemResult, Verdict
from workbench.core.readiness.modelchoice import ModelChoice
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


class VerdictCache:
    """Cached verdicts of one evaluation: looked up and stored from the evaluating thread."""

    def __init__(self, db, project: str, fingerprint: str) -> None:
        self.db, self.project, self.fingerprint = db, project, fingerprint

    def get(self, item: Item) -> ItemResult | None:
        """The verdict reached on this fingerprint before, if any."""
        from workbench.core.readiness.verdict_cache import cached

        if item.kind == "attested":
            return None
        return cached(self.db, self.project, item.id, self.fingerprint)

    def put(self, result: ItemResult, seconds: float) -> None:
        """Remember a verdict (the cache skips errors and attested items)."""
        from workbench.core.readiness.verdict_cache import remember

        remember(self.db, self.project, result, self.fingerprint, seconds)

    def restamp(self, fingerprint: str, results: list[ItemResult]) -> None:
        """Store ``results`` again under ``fingerprint`` when the check itself changed it."""
        from workbench.core.readiness.verdict_cache import remember

        if fingerprint == self.fingerprint:
            return
        self.fingerprint = fingerprint
        for result in results:
            remember(self.db, self.project, result, fingerprint, 0.0)


def _run_lane(items: list[Item], ctx: CheckContext, done: queue.Queue) -> None:
    """Judge a lane's items in turn, handing each result to the evaluating thread."""
    for item in items:
        started = time.perf_counter()
        verdict = _labelled(item, ctx, judge(item, ctx))
        done.put((item, item.result(verdict), time.perf_counter() - started))


def run_items(
    items: Sequence[Item],
    ctx: CheckContext,
    progress: Callable[[ItemResult], None] | None = None,
    cache: VerdictCache | None = None,
) -> list[ItemResult]:
    """Judge ``items``, reporting each result as it comes; stops the probes at the end.

    Cached verdicts come first; dynamic items run in their lanes, concurrently with each
    other and with the static items; results are returned in ``items`` order.
    """
    results: dict[str, ItemResult] = {}

    def finish(item: Item, result: ItemResult, seconds: float | None) -> None:
        results[item.id] = result
        if cache is not None and seconds is not None:
            cache.put(result, seconds)
        if progress is not None:
            progress(result)

    lanes: dict[str, list[Item]] = {}
    inline: list[Item] = []
    for item in items:
        hit = cache.get(item) if cache is not None else None
        if hit is not None:
            finish(item, hit, None)
        elif item.kind == "dynamic" and ctx.run_dynamic:
            lanes.setdefault(item.lane or item.id, []).append(item)
        else:
            inline.append(item)
    done: queue.Queue = queue.Queue()
    try:
        if lanes:
            _ = ctx.harness  # created here, once, before the lanes share it
        with ThreadPoolExecutor(max(1, len(lanes)), thread_name_prefix="readiness") as pool:
            futures = [pool.submit(_run_lane, lane, ctx, done) for lane in lanes.values()]
            for item in inline:
                started = time.perf_counter()
                finish(item, item.result(judge(item, ctx)), time.perf_counter() - started)
            for _ in range(sum(len(lane) for lane in lanes.values())):
                finish(*done.get())
            for future in futures:
                future.result()
    finally:
        ctx.close()
    return [results[item.id] for item in items]


def _labelled(item: Item, ctx: CheckContext, verdict: Verdict) -> Verdict:
    """A dynamic verdict says which model it came from (once, unless the probe said so)."""
    from workbench.core.readiness.modelchoice import MOCK_LABEL

    if item.kind != "dynamic" or not ctx.run_dynamic or verdict.status in ("error", "n/a"):
        return verdict
    if any(e.startswith(("model: ", "wiring check")) for e in verdict.evidence):
        return verdict
    if item.id in MODEL_FACING and ctx.model is not None:
        return verdict
    note = f"model: {MOCK_LABEL}" if item.id not in MODEL_FREE else "model: none needed"
    return Verdict(verdict.status, (*verdict.evidence, note), verdict.hint)


# Probes whose verdict does not depend on a model's answers (refused before any model call).
MODEL_FREE = {
    "safety.api-auth",
    "safety.request-limits",
    "reliability.rate-limiting",
    "deployment.project-tests",
}
# Probes that run against the chosen model when there is one (and label it themselves).
MODEL_FACING = {"safety.evals", "reliability.model-reachable"}


def evaluate(
    project: Project,
    *,
    only_group: str | None = None,
    run_dynamic: bool = True,
    progress: Callable[[ItemResult], None] | None = None,
    use_cache: bool = True,
    model: ModelChoice | None = None,
) -> ChecklistResult:
    """Evaluate the production-readiness checklist of ``project``.

    Static items parse the project's code and files; dynamic items start its service
    and run its agent against the mock (skipped, as ``warn``, when ``run_dynamic`` is
    false); attested items pass while a person's sign-off matches the current evidence.
    A verdict reached before on the same fingerprint (files, checker, model) is reused
    unless ``use_cache`` is false. Every process a probe starts is stopped before this
    returns.
    """
    from workbench.core.readiness.modelchoice import label
    from workbench.core.readiness.registry import NEEDS_MODEL, items_for
    from workbench.core.readiness.verdict_cache import fingerprint
    from workbench.store.db import connect

    checklist = items_for(project)
    items = [i for i in select_items(checklist, only_group) if model or i.id not in NEEDS_MODEL]
    # This thread's connection only: lanes read the store through ctx.thread_db().
    db = connect()
    try:
        ctx = CheckContext(project, run_dynamic=run_dynamic, db=db, model=model)
        cache = None
        if use_cache:
            print_ = fingerprint(
                project.path,
                model=label(model),
                run_dynamic=run_dynamic,
                latest_eval=latest_eval_id(db, project),
            )
            cache = VerdictCache(db, str(project.path), print_)
        results = run_items(items, ctx, progress, cache)
        if cache is not None:
            # safety.evals may have written the project's newest eval run: the verdicts
            # describe the project as the check leaves it, so a re-run finds them.
            after = fingerprint(
                project.path,
                model=label(model),
                run_dynamic=run_dynamic,
                latest_eval=latest_eval_id(db, project),
            )
            cache.restamp(after, results)
    finally:
        db.conn.close()
    return summarize(project.name, results)


def latest_eval_id(db, project: Project) -> str:
    """The id of the project's newest eval run ("" when none): safety.evals reads it."""
    from workbench.store.evals import list_runs

    runs = list_runs(db, project=str(project.path), limit=1)
    return runs[0].id if runs else ""

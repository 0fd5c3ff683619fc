"""Preparing and executing a run: choose the set and variants, resume, run against the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workbench.core.evals.engine import EvalEngine, RunPlan, TurnRunner
from workbench.core.evals.gate import gate_thresholds
from workbench.core.evals.loader import SET_SUFFIXES, find_sets, iter_cases, load_set
from workbench.core.evals.progress import Counts, ProgressListener
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.shards import Shard
from workbench.core.evals.spec import EvalSet
from workbench.core.evals.turns import turn_inputs
from workbench.core.evals.variants import Variant, select_variants
from workbench.core.projects import Project
from workbench.errors import WorkbenchError
from workbench.store.db import connect
from workbench.store.evals import get_run


class SetInfo(BaseModel):
    """An eval set of a project, as listed."""

    name: str
    path: str
    cases: int
    description: str = ""
    error: str | None = None


def evals_dir(project: Project) -> Path:
    """The project's eval-set folder (``[evals] dir``)."""
    return project.path / project.config.evals.dir


def list_sets(project: Project) -> list[SetInfo]:
    """The project's eval sets; a malformed one is listed with its one-line error."""
    infos = []
    for path in find_sets(evals_dir(project)):
        try:
            evalset = load_set(path)
        except WorkbenchError as error:
            infos.append(SetInfo(name=path.stem, path=str(path), cases=0, error=error.message))
            continue
        infos.append(
            SetInfo(
                name=evalset.name,
                path=str(path),
                cases=evalset.case_count,
                description=evalset.description,
            )
        )
    return infos


def find_set(project: Project, name: str | None) -> EvalSet:
    """Load the set ``name`` (file stem or path), or the project's default, or its only set."""
    folder = evals_dir(project)
    if name:
        direct = Path(name)
        if direct.suffix in SET_SUFFIXES and direct.is_file():
            return load_set(direct.resolve())
        for suffix in SET_SUFFIXES:
            if (folder / f"{name}{suffix}").is_file():
                return load_set(folder / f"{name}{suffix}")
        known = ", ".join(path.stem for path in find_sets(folder)) or "none"
        raise WorkbenchError(f"no eval set {name!r} in {folder} (sets: {known})")
    default = project.config.evals.default_set
    if default:
        return find_set(project, default)
    sets = find_sets(folder)
    if len(sets) == 1:
        return load_set(sets[0])
    if not sets:
        raise WorkbenchError(f"{folder}: no eval sets (*.yaml, *.jsonl)")
    raise WorkbenchError(
        f"{project.name} has several sets; choose one with --set "
        f"({', '.join(path.stem for path in sets)})"
    )


def check_python_references(evalset: EvalSet, project_dir: Path) -> None:
    """Refuse a set whose ``python`` assertions name a missing file or function (file:line),
    before a run would report the same error on every case."""
    from workbench.core.evals.checks.python import is_reference, reference_problem

    def problems(assertions: list[Any]) -> Any:
        for assertion in assertions:
            if assertion.assertions:
                yield from problems(assertion.assertions)
            value = assertion.value
            if assertion.type == "python" and isinstance(value, str) and is_reference(value):
                problem = reference_problem(value, project_dir)
                if problem:
                    yield assertion.line, problem

    for case in iter_cases(evalset):
        for line, problem in problems(case.assertions):
            raise WorkbenchError(f"{evalset.path}:{line or case.line}: case {case.id!r}: {problem}")


def prepare_run(
    project: Project,
    *,
    set_name: str | None = None,
    variant_names: list[str] | None = None,
    ad_hoc: list[str] | None = None,
    repeat: int = 1,
    concurrency: int | None = None,
    baseline: str | None = None,
    db_path: Path | None = None,
    shard: Shard | None = None,
) -> RunPlan:
    """A new run's plan: the set, the variants, repeats and the gate thresholds it will apply.

    With ``shard``, the run covers only that shard's slice of the plan (``shards.py``).
    """
    if repeat < 1:
        raise WorkbenchError("--repeat must be 1 or more")
    evalset = find_set(project, set_name)
    check_python_references(evalset, project.path)
    variants = select_variants(project.config, variant_names, ad_hoc, evalset.variants)
    evals = project.config.evals
    thresholds = gate_thresholds(
        dict(evals.gate),
        {},
        evalset.categories,
        baseline_run=evals.baseline_run,
        where=f"{project.path / 'workbench.toml'} [evals.gate]",
    )
    thresholds = {
        **thresholds,
        **gate_thresholds({}, evalset.gate, evalset.categories, where=f"{evalset.path} gate"),
    }
    if baseline:
        thresholds["no_regressions_vs"] = baseline
    options: dict[str, Any] = {"concurrency": concurrency or evals.concurrency, "gate": thresholds}
    if shard is not None:
        options["shard"] = str(shard)
    if evals.requests_per_minute or evals.tokens_per_minute:
        options["rate_limits"] = {
            "rpm": evals.requests_per_minute,
            "tpm": evals.tokens_per_minute,
            "storage_env": evals.rate_limit_storage_env,
        }
    return RunPlan(
        run_id=new_run_id(),
        project=project.name,
        project_path=project.path,
        evalset=evalset,
        variants=variants,
        repeat=repeat,
        options=options,
    )


def resume_plan(
    project: Project | None, run_id: str, *, db_path: Path | None = None
) -> tuple[RunPlan, list[str]]:
    """The plan of a stored run, to finish it; warnings say what changed since it started."""
    db = connect(db_path)
    try:
        run = get_run(db, run_id)
    finally:
        db.conn.close()
    if run is None:
        raise WorkbenchError(f"no eval run {run_id!r} (see: workbench eval runs)")
    if run.status == "running":
        raise WorkbenchError(f"run {run.id} is still running (pid alive); nothing to resume")
    if run.status == "complete" and run.done >= run.total:
        raise WorkbenchError(f"run {run.id} is complete; nothing to resume")
    if project is not None and Path(run.project_path) != project.path:
        raise WorkbenchError(f"run {run.id} belongs to {run.project_path}, not {project.path}")
    evalset = load_set(Path(run.set_path))
    warnings = []
    if evalset.digest != run.set_digest:
        warnings.append(
            f"{run.set_path} changed since the run started; missing cases use the new text"
        )
    plan = RunPlan(
        run_id=run.id,
        project=run.project,
        project_path=Path(run.project_path),
        evalset=evalset,
        variants=[Variant.model_validate(spec) for spec in run.variant_specs],
        repeat=run.repeat,
        options=run.options,
        resume=True,
    )
    return plan, warnings


async def execute(
    plan: RunPlan,
    project: Project,
    *,
    listener: ProgressListener | None = None,
    runner: TurnRunner | None = None,
    turn_timeout: float = 120.0,
    db_path: Path | None = None,
) -> Counts:
    """Run a plan against the project's agent (or ``runner``, for tests and benchmarks)."""
    if runner is not None:
        engine = EvalEngine(runner, listener=listener, db_path=db_path, turn_timeout=turn_timeout)
        return await engine.run(plan)
    from workbench.core.evals.live import LiveEnvironment

    concurrency = plan.options.get("concurrency")
    first = next(iter_cases(plan.evalset), None)
    warm_up = turn_inputs(first)[0] if first is not None else "Hello"
    async with LiveEnvironment(
        project,
        plan.variants,
        concurrency=concurrency,
        turn_timeout=turn_timeout,
        db_path=db_path,
        warm_up_input=warm_up,
        options=plan.options,
    ) as live:
        engine = EvalEngine(
            live.pool,
            targets=live.targets,
            traces=live.traces,
            services=live.services,
            listener=listener,
            db_path=db_path,
            turn_timeout=turn_timeout,
        )
        return await engine.run(plan)

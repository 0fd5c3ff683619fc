"""Which eval commands the generated CI runs: a small set before merge, the full set after."""

from __future__ import annotations

import shlex
from pathlib import Path

import pathspec
import yaml
from pydantic import BaseModel, Field

from workbench.core.projects import Project

SET_SUFFIXES = (".yaml", ".yml", ".jsonl")
SMALL_SET_NAMES = ("smoke", "ci", "quick", "small", "pre-merge", "premerge")


class ShardedGate(BaseModel):
    """One eval gate split over a CI matrix: each shard's command, then the gating merge."""

    run: str
    merge: str


class EvalPlan(BaseModel):
    """The ``workbench eval`` command lines the generated workflows run, each with ``--gate``.

    With ``shards`` > 1 (``[ci] eval_shards``), ``sharded`` holds the same gates split
    into a matrix of shards (the shard index in ``$EVAL_SHARD``) and their merge.
    """

    small: str
    full: str
    safety: str | None = None
    mode: str
    notes: list[str] = Field(default_factory=list)
    shards: int = 1
    sharded: dict[str, ShardedGate] = Field(default_factory=dict)


def plan_evals(project: Project) -> EvalPlan:
    """Choose sets and a keyless variant (cassette replay when possible) for CI."""
    config = project.config
    notes: list[str] = []
    sets = _set_names(project.path / config.evals.dir)
    default = config.evals.default_set if config.evals.default_set in sets else None
    full = default or (sets[0] if sets else None)
    small = next((name for name in sets if name.lower() in SMALL_SET_NAMES), None) or full
    safety = next((name for name in sets if "safety" in name.lower() and name != full), None)
    if not sets:
        notes.append(f"no eval sets under {config.evals.dir}/; CI runs `workbench eval` as is")
    elif small == full:
        notes.append(
            f"no small eval set (name one {SMALL_SET_NAMES[0]!r}); pre-merge runs {full!r} too"
        )

    variant_args, mode = _variant_args(project, notes)
    shards = config.ci.eval_shards
    plan = EvalPlan(
        small=_command(small, variant_args),
        full=_command(full, variant_args),
        safety=_command(safety, variant_args) if safety else None,
        mode=mode,
        notes=notes,
        shards=shards,
    )
    if shards > 1:
        chosen = {"small": small, "full": full, "safety": safety}
        # The shards run at once against one provider: each takes its share of the limit.
        share = (
            []
            if config.evals.concurrency is None
            else ["--concurrency", str(max(1, config.evals.concurrency // shards))]
        )
        plan.sharded = {
            key: _sharded(name, [*variant_args, *share], shards, key)
            for key, name in chosen.items()
            if key != "safety" or name
        }
    return plan


def _sharded(set_name: str | None, variant_args: list[str], shards: int, key: str) -> ShardedGate:
    """A gate's command split into shards: each writes its results under eval-results/KEY."""
    words = ["workbench", "eval", "."]
    if set_name:
        words += ["--set", set_name]
    folder = f"eval-results/{key}"
    # The shard index comes from the job's environment, so it is left unquoted by shlex.
    run = f'{shlex.join([*words, *variant_args])} --shard "$EVAL_SHARD/{shards}" --out {folder}'
    return ShardedGate(run=run, merge=shlex.join(["workbench", "eval", "merge", folder, "--gate"]))


def _variant_args(project: Project, notes: list[str]) -> tuple[list[str], str]:
    """A keyless way to run what ships: replay when possible, else the mock.

    CI gates the prompt version the project serves now (``current`` in
    prompts/system.yaml): a declared variant on that prompt when there is one, else an
    ad hoc variant, so a comparison baseline on an older prompt never blocks a merge.
    """
    variants = project.config.variants
    current = current_prompt(project)
    serving = {n: v for n, v in variants.items() if current is None or v.prompt == current}
    replay = next((name for name, v in serving.items() if v.model == "replay"), None)
    if replay:
        return ["--variants", replay], "replay"
    folder = project.config.mock.cassettes
    prompt = current or (next(iter(variants.values())).prompt if variants else "v1")
    committed, ignored = cassette_files(project.path, folder)
    if committed:
        return ["--variant", f"ci=prompt@{prompt},model=replay"], "replay"
    mock = next((name for name, v in serving.items() if v.model == "mock"), None)
    if ignored:
        notes.append(
            f"the cassettes in {folder}/ are ignored by .gitignore, so CI cannot replay them: "
            f"CI evals run against the deterministic mock; to gate on replayed answers, drop "
            f"{folder}/ from .gitignore, commit it and run `workbench ship` again"
        )
    else:
        notes.append(
            "no cassettes recorded yet: CI evals run against the deterministic mock; record "
            "cassettes, commit them and run `workbench ship` again to gate on replayed answers"
        )
    if mock:
        return ["--variants", mock], "mock"
    return ["--variant", f"ci=prompt@{prompt},model=mock"], "mock"


def cassette_files(root: Path, folder: str) -> tuple[list[str], list[str]]:
    """Recorded cassettes under ``root/folder``: (committable, ignored by the project's .gitignore).

    Recordings are local by default (the template ignores ``/cassettes/``); only the
    ones git would commit reach CI, so only those can make CI replay.
    """
    base = root / folder
    if not base.is_dir():
        return [], []
    files = sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
    spec = _gitignore(root)
    committed = [path for path in files if not spec.match_file(path)]
    return committed, [path for path in files if path not in committed]


def _gitignore(root: Path) -> pathspec.GitIgnoreSpec:
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def current_prompt(project: Project) -> str | None:
    """The prompt version the project serves now (``current`` in prompts/system.yaml)."""
    path = project.path / "prompts" / "system.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    current = data.get("current") if isinstance(data, dict) else None
    return str(current) if current else None


def _command(set_name: str | None, variant_args: list[str]) -> str:
    words = ["workbench", "eval", "."]
    if set_name:
        words += ["--set", set_name]
    return shlex.join([*words, *variant_args, "--gate"])


def _set_names(evals_dir: Path) -> list[str]:
    if not evals_dir.is_dir():
        return []
    return sorted(
        path.stem
        for path in evals_dir.iterdir()
        if path.is_file() and path.suffix in SET_SUFFIXES and not path.name.startswith(".")
    )

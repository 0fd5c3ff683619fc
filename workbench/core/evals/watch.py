"""``--watch``: the files that trigger a re-run, and what changed between two runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from sqlite_utils import Database

from workbench.core.evals.report import tally
from workbench.core.projects import Project
from workbench.store.evals import get_run

_SUFFIXES = {".py", ".yaml", ".yml", ".jsonl", ".json", ".toml", ".txt", ".md", ".j2"}


def watched_dirs(project: Project) -> list[Path]:
    """prompts/, the eval folder and the source folder: what a change re-runs the set for."""
    candidates = [
        project.path / "prompts",
        project.path / project.config.evals.dir,
        project.src_dir,
    ]
    return [path for path in candidates if path.is_dir()]


def _relevant(change: object, path: str) -> bool:
    name = Path(path).name
    return Path(path).suffix in _SUFFIXES and not name.startswith(".") and "__pycache__" not in path


async def changes(project: Project, *, stop_event=None) -> AsyncIterator[list[str]]:
    """Batches of changed files (relative to the project), debounced by watchfiles."""
    from watchfiles import awatch

    async for batch in awatch(
        *watched_dirs(project), watch_filter=_relevant, debounce=400, stop_event=stop_event
    ):
        yield sorted({str(Path(path).relative_to(project.path)) for _, path in batch})


def run_diff(db: Database, previous: str, current: str) -> list[str]:
    """Lines saying how ``current`` differs from ``previous``: pass rates and flipped cases."""
    before, after = get_run(db, previous), get_run(db, current)
    if before is None or after is None:
        return []
    lines = []
    for name in after.variants:
        if name not in before.variants:
            lines.append(f"{name}: new variant")
            continue
        old, new = tally(db, before.id, name), tally(db, after.id, name)
        old_rate = _rate(old)
        new_rate = _rate(new)
        fixed = [
            c
            for c, e in new.cases.items()
            if e.rate == 1 and c in old.cases and old.cases[c].rate < 1
        ]
        broke = [
            c
            for c, e in new.cases.items()
            if e.rate < 1 and c in old.cases and old.cases[c].rate == 1
        ]
        lines.append(
            f"{name}: pass rate {old_rate:.0%} → {new_rate:.0%}"
            + (f"; now passing: {', '.join(fixed)}" if fixed else "")
            + (f"; now failing: {', '.join(broke)}" if broke else "")
            + ("" if fixed or broke else "; no case changed")
        )
    return lines


def _rate(data) -> float:
    runs = sum(e.runs for e in data.cases.values())
    return sum(e.passes for e in data.cases.values()) / runs if runs else 0.0

"""Evaluating the readiness checklist in a process of its own, so a front end stays responsive.

A static run costs seconds of CPU (parsing the project, scanning it for secrets, the imports
of detect-secrets and markdown-it); in a thread of the TUI's process that work holds the GIL
the TUI needs to answer keys, and on a busy machine a key waited up to a second.
``evaluate_isolated`` has ``evaluate``'s signature and result, but runs
``python -m workbench.core.readiness.isolated`` which reports each verdict as a JSON line on
its stdout (``item {...}``) and the whole checklist last (``result {...}``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.core.readiness.model import ChecklistResult, ItemResult
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.core.projects import Project
    from workbench.core.readiness.modelchoice import ModelChoice


def evaluate_isolated(
    project: Project,
    *,
    only_group: str | None = None,
    run_dynamic: bool = True,
    progress: Callable[[ItemResult], None] | None = None,
    use_cache: bool = True,
    model: ModelChoice | None = None,
) -> ChecklistResult:
    """``readiness.evaluate`` in a child process (the same home, settings and store).

    A ``model`` choice is not passed across: with one, the checklist runs in this process.
    A child that fails is a ``WorkbenchError`` with its last line of stderr.
    """
    if model is not None:
        from workbench.core.readiness.checklist import evaluate

        return evaluate(
            project,
            only_group=only_group,
            run_dynamic=run_dynamic,
            progress=progress,
            use_cache=use_cache,
            model=model,
        )
    command = [sys.executable, "-m", "workbench.core.readiness.isolated", str(project.path)]
    if only_group:
        command += ["--group", only_group]
    if not run_dynamic:
        command.append("--static")
    if not use_cache:
        command.append("--no-cache")
    result: ChecklistResult | None = None
    # stderr to a file: a chatty child can never block on a full pipe nobody reads yet.
    with tempfile.TemporaryFile(mode="w+") as errors:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, text=True
        ) as child:
            assert child.stdout is not None
            for line in child.stdout:
                kind, _, payload = line.partition(" ")
                if kind == "item" and progress is not None:
                    progress(ItemResult.model_validate_json(payload))
                elif kind == "result":
                    result = ChecklistResult.model_validate_json(payload)
        if result is None:
            errors.seek(0)
            lines = [line.strip() for line in errors.read().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {child.returncode}"
            raise WorkbenchError(f"the readiness check of {project.name} failed: {reason}")
    return result


def main(argv: list[str] | None = None) -> int:
    """The child: evaluate PROJECT's checklist, one JSON line per verdict, then the result."""
    parser = argparse.ArgumentParser(prog="python -m workbench.core.readiness.isolated")
    parser.add_argument("project")
    parser.add_argument("--group")
    parser.add_argument("--static", action="store_true")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    from workbench.core.projects import open_project
    from workbench.core.readiness.checklist import evaluate

    def tell(kind: str, payload: str) -> None:
        sys.stdout.write(f"{kind} {payload}\n")
        sys.stdout.flush()

    try:
        project = open_project(args.project)
        result = evaluate(
            project,
            only_group=args.group,
            run_dynamic=not args.static,
            progress=lambda item: tell("item", item.model_dump_json()),
            use_cache=not args.no_cache,
        )
    except WorkbenchError as error:
        print(error, file=sys.stderr)
        return 1
    tell("result", result.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())

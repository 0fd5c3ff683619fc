"""Planning and writing the generated files: statuses against the disk, diffs, idempotent writes."""

from __future__ import annotations

import difflib
from pathlib import Path

from workbench.core.projects import Project
from workbench.core.ship.checklist import evaluate_checklist
from workbench.core.ship.context import build_context
from workbench.core.ship.manifest import (
    ManifestEntry,
    load_manifest,
    save_manifest,
    sha256_file,
    sha256_text,
    write_atomic,
)
from workbench.core.ship.models import (
    ChecklistStatus,
    FileStatus,
    GeneratedFile,
    ShipPlan,
    ShipResult,
)
from workbench.core.ship.render import FAILING_MARK, UNEVALUATED_MARK, render_outputs
from workbench.core.ship.replicas import embedded_state_problem
from workbench.errors import CheckFailed

CI_PREFIX = ".github/workflows/"


def plan_ship(
    project: Project, *, force: bool = False, checklist: ChecklistStatus | None = None
) -> ShipPlan:
    """Render every file ship generates and compare it with the disk; writes nothing.

    ``checklist`` defaults to evaluating the readiness checklist; tests and the TUI
    may pass one. Files planned while the checklist fails carry a marking header.
    """
    status = checklist if checklist is not None else evaluate_checklist(project)
    mark = None
    if not status.passed:
        mark = FAILING_MARK if status.evaluated else UNEVALUATED_MARK
    ctx = build_context(project)
    manifest = load_manifest(project.path)
    files = []
    # CI workflows need no readiness (they are how a project earns deployment.eval-gate-ci),
    # so they never carry the failing-checklist mark.
    unmarked = {o.path: c for o, c in render_outputs(ctx)} if mark else {}
    for output, content in render_outputs(ctx, mark):
        if output.path.startswith(CI_PREFIX):
            content = unmarked.get(output.path, content)
        entry = manifest.files.get(output.path)
        files.append(_plan_file(project.path, output.path, output.template, content, entry))
    generated = {file.path for file in files}
    stale = sorted(path for path in manifest.files if path not in generated)
    notes = list(ctx.notes)
    notes += [f"{path} is no longer generated; delete it if nothing uses it" for path in stale]
    refusal = embedded_state_problem(ctx.state, _contents_after(project.path, files, stale, force))
    return ShipPlan(
        project_path=project.path,
        files=files,
        checklist=status,
        force=force,
        notes=notes,
        stale=stale,
        state_refusal=refusal,
    )


def _contents_after(
    root: Path, files: list[GeneratedFile], stale: list[str], force: bool
) -> dict[str, str]:
    """Each file as it will be on disk after writing: edited ones are kept unless forced."""
    after = {}
    for file in files:
        kept = file.status == "edited-conflict" and not force
        after[file.path] = (root / file.path).read_text(errors="replace") if kept else file.content
    for path in stale:
        if (root / path).is_file():
            after[path] = (root / path).read_text(errors="replace")
    return after


def write_ci_workflows(plan: ShipPlan) -> ShipResult:
    """Write only the CI workflows (``.github/workflows/``), whatever the checklist says.

    The eval gate in CI is itself a readiness item, so the workflows cannot wait for the
    checklist to pass: ``ship`` writes them first, and the item judges what is on disk.
    Edited workflows are kept unless ``force``.
    """
    return _write(plan, [f for f in plan.files if f.path.startswith(CI_PREFIX)])


def write_ship(plan: ShipPlan) -> ShipResult:
    """Write the plan's new and updated files (edited ones only with ``force``) and the manifest.

    Raises ``CheckFailed`` when the checklist blocks shipping (after writing the CI
    workflows, which need no readiness). A file that changed on disk since it was
    planned counts as edited.
    """
    if plan.state_refusal:
        raise CheckFailed(plan.state_refusal)
    if plan.blocked:
        written = write_ci_workflows(plan)
        message = refusal_message(plan.checklist)
        if written.written:
            message += f"; wrote the CI workflows first ({', '.join(written.written)})"
        raise CheckFailed(message)
    return _write(plan, plan.files)


def _write(plan: ShipPlan, files: list[GeneratedFile]) -> ShipResult:
    root = plan.project_path
    manifest = load_manifest(root)
    result = ShipResult(project_path=root)
    for file in files:
        target = root / file.path
        current = sha256_file(target)
        changed_since_plan = current != file.disk_sha256
        if file.status == "unchanged" and not changed_since_plan:
            result.unchanged.append(file.path)
        elif (file.status == "edited-conflict" or changed_since_plan) and not plan.force:
            result.kept.append(file.path)
            continue
        else:
            write_atomic(target, file.content)
            result.written.append(file.path)
        manifest.files[file.path] = ManifestEntry(
            sha256=sha256_text(file.content), template=file.template
        )
    result.manifest_written = save_manifest(root, manifest)
    return result


def refusal_message(checklist: ChecklistStatus) -> str:
    """One line saying why shipping is refused."""
    if not checklist.evaluated:
        return f"ship refused: {checklist.note}; use --force to generate anyway"
    names = [item.id for item in checklist.blocking]
    ids = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    ids = ids or "see `workbench check`"
    count = len(names)
    return f"ship refused: {count} readiness item(s) fail ({ids}); use --force to generate anyway"


def _plan_file(
    root: Path, path: str, template: str, content: str, entry: ManifestEntry | None
) -> GeneratedFile:
    target = root / path
    disk_sha = sha256_file(target)
    old = None if disk_sha is None else target.read_text(encoding="utf-8", errors="replace")
    status: FileStatus
    if old is None:
        status = "new"
    elif old == content:
        status = "unchanged"
    elif entry is not None and entry.sha256 == disk_sha:
        status = "update"
    else:
        status = "edited-conflict"
    diff = "" if status == "unchanged" else unified_diff(path, old, content)
    return GeneratedFile(
        path=path,
        content=content,
        status=status,
        diff=diff,
        template=template,
        disk_sha256=disk_sha,
    )


def unified_diff(path: str, old: str | None, new: str) -> str:
    """A unified diff from what is on disk (``None``: nothing) to ``new``."""
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

"""Scaffolding projects from templates, updating them with a three-way merge, and listing them.

The CLI (``workbench new``, ``update``, ``projects list``) and the TUI both call
these functions; they return pydantic models and raise ``WorkbenchError``s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from workbench import locations
from workbench.core import render, template_sources
from workbench.core.listing import ProjectInfo, folder_created, list_projects, remember_project
from workbench.core.merge import CONFLICT_SUFFIX, Outcome, plan_merge
from workbench.core.projects import PROJECT_NAME, resolve_project_dir
from workbench.core.render import ANSWERS_FILE, available_templates
from workbench.errors import InvalidName, ProjectNotFound, TargetExists, TemplateError
from workbench.store import projects as store
from workbench.store.db import connect

__all__ = [
    "ProjectInfo",
    "ScaffoldResult",
    "UpdateResult",
    "available_templates",
    "list_projects",
    "remember_project",
    "scaffold_project",
    "update_project",
    "validate_name",
]

DEFAULT_TEMPLATE = "agent-service"


class ScaffoldResult(BaseModel):
    """What ``scaffold_project`` wrote, or would write with ``pretend``."""

    path: Path
    template: str
    template_version: str
    files: list[str]
    pretend: bool = False


class UpdateResult(BaseModel):
    """What ``update_project`` did to each file (``pretend``: would do)."""

    path: Path
    template: str
    old_version: str
    new_version: str
    updated: list[str] = []
    kept: list[str] = []
    merged: list[str] = []
    conflicts: list[str] = []
    added: list[str] = []
    removed: list[str] = []
    unchanged: list[str] = []
    pretend: bool = False

    @property
    def conflict_files(self) -> list[str]:
        """The ``.update-conflict`` files written beside conflicting files."""
        return [path + CONFLICT_SUFFIX for path in self.conflicts]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def validate_name(name: str) -> str:
    """``name`` if it is a valid project name, else ``InvalidName`` saying why."""
    if not PROJECT_NAME.match(name or ""):
        raise InvalidName(
            f"invalid project name {name!r}: use lowercase letters, digits and single hyphens,"
            " starting with a letter (e.g. acme-support)"
        )
    return name


def scaffold_project(
    name: str,
    *,
    template: str = DEFAULT_TEMPLATE,
    directory: Path | None = None,
    answers: dict | None = None,
    pretend: bool = False,
    force: bool = False,
    vcs_ref: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> ScaffoldResult:
    """Render ``template`` into ``directory/name`` (default: the projects folder) and record it.

    ``template`` is a built-in template's name, a copier template folder or a git
    URL (``vcs_ref``: a tag or commit of it). Before a template the workbench does
    not ship is rendered, ``warn`` gets a one-line warning that its code runs here.
    The template is rendered by copier into a scratch folder first, so ``pretend``
    lists exactly the files a real run writes, and the pristine render is stored
    as the base of later updates.
    """
    validate_name(name)
    target = (Path(directory).expanduser() if directory else locations.projects_dir()) / name
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise TargetExists(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetExists(
            f"{target} already exists and is not empty (use --force to render into it)"
        )
    source = template_sources.resolve(template)
    _warn_if_untrusted(source, warn)
    tree = render.render(source, {**(answers or {}), "project_name": name}, vcs_ref=vcs_ref)
    version = render.template_version(render.read_answers(tree.files.get(ANSWERS_FILE, b"")))
    result = ScaffoldResult(
        path=target,
        template=source.label,
        template_version=version,
        files=tree.paths(),
        pretend=pretend,
    )
    if pretend:
        return result
    for relative in tree.paths():
        render.write_file(
            target, relative, tree.files[relative], executable=relative in tree.executable
        )
    db = connect()
    try:
        store.save_project(
            db,
            path=str(target),
            name=name,
            template=source.label,
            template_version=version,
            snapshot=render.pack(tree),
            created_at=_now().isoformat(),
        )
    finally:
        db.conn.close()
    return result


def _warn_if_untrusted(
    source: template_sources.TemplateSource, warn: Callable[[str], None] | None
) -> None:
    if warn is not None and not source.builtin:
        warn(template_sources.untrusted_warning(source))


def _rendered_project_dir(project: str | Path) -> Path:
    """The project folder; one rendered from any copier template need not be a workbench project."""
    try:
        return resolve_project_dir(project)
    except ProjectNotFound:
        for folder in (Path(project).expanduser(), locations.projects_dir() / str(project)):
            if (folder / ANSWERS_FILE).is_file():
                return folder.resolve()
        raise


def _render_old_commit(
    source: template_sources.TemplateSource, data: dict, answers: dict
) -> dict[str, bytes] | None:
    """The project's pristine render from its git template's recorded commit, as copier
    update would make it; None when there is no commit to go back to."""
    commit = answers.get("_commit")
    if source.builtin or not commit:
        return None
    try:
        return render.render(source, data, vcs_ref=str(commit)).files
    except TemplateError:
        return None


def update_project(
    project: str | Path,
    *,
    pretend: bool = False,
    vcs_ref: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> UpdateResult:
    """Re-render a project from the current template and merge the result into it.

    This is deliberately not ``copier update``: that needs the template *and* the
    project to be git repositories with tagged versions, while a pip-installed
    workbench ships its templates as plain files and a project need not be under
    git. copier still renders the template and keeps the answers file; the merge
    is done here, per file, against the pristine render stored when the project
    was scaffolded (see ``workbench.core.merge``). Files changed only by the user
    are kept; clashing changes leave the user's file untouched and write the
    merge, with conflict markers, beside it as ``<file>.update-conflict``; files
    the template dropped are reported, never deleted. A project rendered from a
    folder or git URL is re-rendered from it (``vcs_ref``: a tag or commit; default
    the latest release tag, else HEAD), after the same warning as ``new``.
    """
    path = _rendered_project_dir(project)
    answers_path = path / ANSWERS_FILE
    if not answers_path.is_file():
        raise TemplateError(f"{path}: no {ANSWERS_FILE}, so it was not rendered from a template")
    answers = render.read_answers(answers_path.read_bytes(), where=str(answers_path))
    old_version = render.template_version(answers)
    db = connect()
    try:
        record = store.get_project(db, str(path))
        snapshot = store.get_snapshot(db, str(path))
        template = (
            (record.template if record else None)
            or render.template_source(answers)
            or DEFAULT_TEMPLATE
        )
        source = template_sources.resolve(template)
        _warn_if_untrusted(source, warn)
        data = {key: value for key, value in answers.items() if not key.startswith("_")}
        theirs = render.render(source, data, vcs_ref=vcs_ref)
        new_version = render.template_version(
            render.read_answers(theirs.files.get(ANSWERS_FILE, b""))
        )
        if snapshot is not None:
            base: dict[str, bytes] | None = render.unpack(snapshot).files
        elif old_version and old_version == new_version:
            base = theirs.files
        else:
            base = _render_old_commit(source, data, answers)
        relevant = set(base or {}) | set(theirs.files)
        ours = {
            relative: (path / relative).read_bytes() if (path / relative).is_file() else None
            for relative in relevant
        }
        plan = plan_merge(base, ours, theirs.files)
        result = UpdateResult(
            path=path,
            template=template,
            old_version=old_version,
            new_version=new_version,
            updated=plan.paths(Outcome.UPDATED),
            kept=plan.paths(Outcome.KEPT),
            merged=plan.paths(Outcome.MERGED),
            conflicts=plan.paths(Outcome.CONFLICT),
            added=plan.paths(Outcome.ADDED),
            removed=plan.paths(Outcome.REMOVED),
            unchanged=plan.paths(Outcome.UNCHANGED),
            pretend=pretend,
        )
        if pretend:
            return result
        for change in plan.writes():
            assert change.write_to is not None and change.content is not None
            render.write_file(
                path,
                change.write_to,
                change.content,
                executable=change.path in theirs.executable,
            )
        store.save_project(
            db,
            path=str(path),
            name=str(data.get("project_name") or path.name),
            template=template,
            template_version=new_version,
            snapshot=render.pack(theirs),
            created_at=folder_created(path).isoformat(),
        )
        return result
    finally:
        db.conn.close()

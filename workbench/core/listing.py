"""Listing projects: those under the projects folder, those in the store, and extra paths."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workbench import locations
from workbench.core import render
from workbench.core.config import CONFIG_FILE
from workbench.core.projects import resolve_project_dir
from workbench.core.render import ANSWERS_FILE
from workbench.errors import TemplateError
from workbench.store import projects as store
from workbench.store.db import connect


class ProjectInfo(BaseModel):
    """A project as the projects list shows it."""

    name: str
    path: Path
    template: str = ""
    template_version: str = ""
    created: datetime
    description: str = ""


def remember_project(project: str | Path) -> ProjectInfo:
    """Record a project opened by path, so the projects list shows it from now on."""
    path = resolve_project_dir(project)
    info = _project_info(path, None)
    db = connect()
    try:
        store.save_project(
            db,
            path=str(path),
            name=info.name,
            template=info.template,
            template_version=info.template_version,
            created_at=info.created.isoformat(),
        )
    finally:
        db.conn.close()
    return info


def list_projects(extra_paths: list[Path] | tuple[Path, ...] = ()) -> list[ProjectInfo]:
    """The projects under the projects folder, those recorded in the store, and ``extra_paths``.

    Folders without a ``workbench.toml`` are skipped; stored projects whose folder
    is gone are left out (not forgotten).
    """
    db = connect()
    try:
        records = {record.path: record for record in store.list_projects(db)}
    finally:
        db.conn.close()
    candidates: list[Path] = []
    root = locations.projects_dir()
    if root.is_dir():
        candidates.extend(sorted(entry for entry in root.iterdir() if entry.is_dir()))
    candidates.extend(Path(path) for path in records)
    candidates.extend(Path(path).expanduser() for path in extra_paths)
    seen: set[Path] = set()
    infos: list[ProjectInfo] = []
    for candidate in candidates:
        folder = candidate.resolve()
        if folder in seen or not (folder / CONFIG_FILE).is_file():
            continue
        seen.add(folder)
        infos.append(_project_info(folder, records.get(str(folder))))
    return sorted(infos, key=lambda info: (info.name, str(info.path)))


def _project_info(path: Path, record: store.ProjectRecord | None) -> ProjectInfo:
    project = _read_project_section(path / CONFIG_FILE)
    answers = _read_answers_quietly(path / ANSWERS_FILE)
    template = (
        (record.template if record else "")
        or str(project.get("template") or "")
        or (render.template_name(answers) if answers else "")
        or ""
    )
    version = (
        render.template_version(answers)
        or (record.template_version if record else "")
        or str(project.get("template_version") or "")
    )
    created = _parse_time(record.created_at) if record and record.created_at else None
    return ProjectInfo(
        name=str(project.get("name") or path.name),
        path=path,
        template=template,
        template_version=version,
        created=created or folder_created(path),
        description=str(project.get("description") or ""),
    )


def _read_project_section(config: Path) -> dict[str, Any]:
    # Lenient on purpose: a project whose config is broken is still listed.
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    section = data.get("project")
    return section if isinstance(section, dict) else {}


def _read_answers_quietly(path: Path) -> dict[str, Any]:
    try:
        return render.read_answers(path.read_bytes(), where=str(path))
    except (OSError, TemplateError):
        return {}


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def folder_created(path: Path) -> datetime:
    """The folder's modification time, in UTC, to the second (when nothing better is known)."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(microsecond=0)

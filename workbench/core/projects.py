"""Finding projects: a PROJECT argument is a folder path or the name of a folder under projects/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbench import locations
from workbench.core.config import CONFIG_FILE, ProjectConfig, load_config
from workbench.errors import ProjectNotFound

PROJECT_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Project:
    """A project folder and its parsed ``workbench.toml``."""

    path: Path
    config: ProjectConfig

    @property
    def name(self) -> str:
        """The project's name from its config."""
        return self.config.project.name

    @property
    def package(self) -> str:
        """The project's Python package name."""
        return self.config.project.package

    @property
    def src_dir(self) -> Path:
        """The folder that must be on ``sys.path`` to import the project's package."""
        return self.path / self.config.agent.src


def resolve_project_dir(project: str | Path) -> Path:
    """The folder a PROJECT argument names; raises ``ProjectNotFound`` if there is none."""
    candidate = Path(project).expanduser()
    if (candidate / CONFIG_FILE).is_file():
        return candidate.resolve()
    named = locations.projects_dir() / str(project)
    if (named / CONFIG_FILE).is_file():
        return named.resolve()
    if candidate.is_dir() or named.is_dir():
        folder = candidate if candidate.is_dir() else named
        raise ProjectNotFound(f"{folder}: not a workbench project (no {CONFIG_FILE})")
    raise ProjectNotFound(
        f"no project {str(project)!r}: not a folder, "
        f"and not a folder under {locations.projects_dir()}"
    )


def open_project(project: str | Path) -> Project:
    """Resolve a PROJECT argument and load its config."""
    path = resolve_project_dir(project)
    return Project(path=path, config=load_config(path))

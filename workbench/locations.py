"""Where the workbench keeps things: its home, its database, its templates, the projects."""

from __future__ import annotations

from pathlib import Path

from workbench.settings import get_settings

_PACKAGE_DIR = Path(__file__).resolve().parent


def home() -> Path:
    """The folder that holds all user data (``WORKBENCH_HOME``, default ``~/.workbench``)."""
    path = get_settings().home.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_path() -> Path:
    """The one SQLite file that holds everything the workbench stores."""
    return home() / "workbench.db"


def templates_dir() -> Path:
    """The project templates: inside the wheel when installed, else the repository's folder."""
    bundled = _PACKAGE_DIR / "_templates"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / "templates"


def projects_dir() -> Path:
    """The folder whose sub-folders are the projects named by bare names (``projects/``)."""
    return get_settings().projects_dir.expanduser().resolve()

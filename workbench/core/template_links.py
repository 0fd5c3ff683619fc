"""Templates that share files with a sibling template through symlinks, made readable by copier.

copier refuses a symlink whose target lies outside the template's folder
(``ForbiddenPathError``), a guard against templates that copy files from the user's
disk. The workbench's ``rag-agent`` template links to ``agent-service``'s files so
that one copy serves both (a fix lands in both). Before copier reads such a
folder, it is copied into a temporary folder with every link that stays inside the
template's parent folder (the catalogue of templates) replaced by what it points
to; a link anywhere else is copied as a link, so copier still refuses it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SKIPPED = {".git", "__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache"}


def _within(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def sibling_links(folder: Path) -> list[Path]:
    """The symlinks under ``folder`` that point out of it into its parent folder."""
    folder = folder.resolve()
    catalogue = folder.parent
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIPPED]
        for name in [*dirs, *files]:
            path = Path(current) / name
            if path.is_symlink():
                target = path.resolve()
                if not _within(target, folder) and _within(target, catalogue):
                    found.append(path)
    return found


@contextmanager
def readable_by_copier(folder: Path) -> Iterator[Path]:
    """``folder`` itself, or (when it links to a sibling template) a copy with those links
    resolved; the copy is deleted on exit. A git repository's root is left to copier."""
    folder = folder.resolve()
    if (folder / ".git").exists() or not sibling_links(folder):
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="workbench-template-") as tmp:
        staged = Path(tmp) / folder.name
        _copy(folder, staged, folder.parent)
        yield staged


def _copy(source: Path, target: Path, catalogue: Path) -> None:
    """Copy the folder ``source`` to ``target``, following links that stay in ``catalogue``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if entry.name in _SKIPPED:
            continue
        destination = target / entry.name
        if entry.is_symlink():
            resolved = entry.resolve()
            if not _within(resolved, catalogue) or not resolved.exists():
                os.symlink(os.readlink(entry), destination)
                continue
            if resolved.is_dir():
                _copy(resolved, destination, catalogue)
            else:
                shutil.copy2(resolved, destination)
        elif entry.is_dir():
            _copy(entry, destination, catalogue)
        else:
            shutil.copy2(entry, destination)

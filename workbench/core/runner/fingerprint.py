"""Whether a project's code changed since its child started: a cheap fingerprint of its files."""

from __future__ import annotations

import os

from workbench.core.projects import Project

# Folders that hold no code the child imports (data, caches, environments, history).
_SKIPPED = {"__pycache__", "node_modules", "cassettes", "evals", "tests", "docs"}
# A project this large is not walked past this many files: the fingerprint then covers
# the first ones only (a warm child is kept; editing a file further in needs a restart).
_MAX_FILES = 5000


def project_fingerprint(project: Project) -> tuple[int, int, int]:
    """``(files, total size, newest mtime in ns)`` of the project's files a turn can depend on.

    A warm child imported the project's code once; any edit to it (or to
    ``workbench.toml``, ``.env``, prompts) changes this fingerprint, and the
    runner restarts the child before the next turn rather than run stale code.
    """
    count = size = newest = 0
    for folder, subfolders, files in os.walk(project.path):
        subfolders[:] = [
            name for name in subfolders if not name.startswith(".") and name not in _SKIPPED
        ]
        for name in files:
            if name.endswith((".pyc", ".log", ".sqlite3", ".db")):
                continue
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            count += 1
            size += stat.st_size
            newest = max(newest, stat.st_mtime_ns)
            if count >= _MAX_FILES:
                return count, size, newest
    return count, size, newest

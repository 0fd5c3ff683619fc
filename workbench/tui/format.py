"""Small formatting helpers shared by screens and dialogs."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when inside it, else absolute."""
    path = Path(path)
    try:
        if path.is_absolute() and path.is_relative_to(Path.cwd()):
            return os.path.relpath(path) if path != Path.cwd() else "."
    except (OSError, ValueError):
        pass
    return str(path)


def counted(number: int, noun: str) -> str:
    """``1 step``, ``2 steps``, ``0 tool calls``: ``number`` and ``noun``, plural unless 1."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"

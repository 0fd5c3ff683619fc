"""Versioned system prompts from `prompts/system.yaml` (versions, current, changelog)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..infra.settings import get_settings


@dataclass(frozen=True)
class PromptSet:
    """Every version of the system prompt, which one is current, and why each changed."""

    versions: dict[str, str]
    current: str
    changelog: list[dict[str, Any]] = field(default_factory=list)

    def get(self, version: str | None) -> tuple[str, str]:
        """(version, text) for `version`, or the current one; unknown versions raise KeyError."""
        chosen = version or self.current
        if chosen not in self.versions:
            known = ", ".join(sorted(self.versions))
            raise KeyError(f"unknown prompt version {chosen!r} (known: {known})")
        return chosen, self.versions[chosen].strip()


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> PromptSet:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    versions = {str(k): str(v) for k, v in (data.get("versions") or {}).items()}
    if not versions:
        raise ValueError(f"{path}: no prompt versions")
    current = str(data.get("current") or next(iter(versions)))
    if current not in versions:
        raise ValueError(f"{path}: current version {current!r} is not defined")
    return PromptSet(versions, current, list(data.get("changelog") or []))


def load_prompts(path: Path | None = None) -> PromptSet:
    """The prompt set, re-read when the file changes (so `workbench dev` reloads it)."""
    path = path or get_settings().prompts_file
    return _load(path, path.stat().st_mtime_ns)

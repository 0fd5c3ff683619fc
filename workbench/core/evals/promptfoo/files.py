"""``file://`` references of a promptfoo config: paths from the config's folder, globs, formats."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import ConfigError

TEXT_SUFFIXES = {".txt", ".md", ".j2", ".njk", ".prompt", ""}


def is_file_ref(value: Any) -> bool:
    """Whether ``value`` is a ``file://`` reference."""
    return isinstance(value, str) and value.startswith("file://")


def resolve(reference: str, base: Path) -> list[Path]:
    """The files a ``file://`` reference names, relative to ``base``; globs expand, sorted."""
    raw = reference.removeprefix("file://")
    raw, _, _ = _split_function(raw)
    pattern = raw if Path(raw).is_absolute() else str(base / raw)
    if glob.has_magic(pattern):
        paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not paths:
            raise ConfigError(f"{reference}: no file matches (from {base})")
        return paths
    path = Path(pattern)
    if not path.is_file():
        raise ConfigError(f"{reference}: file not found ({path})")
    return [path]


def _split_function(raw: str) -> tuple[str, str, str]:
    """``path.py:fn`` -> (path.py, ':', fn); a Windows drive letter is not a function."""
    head, sep, tail = raw.rpartition(":")
    if sep and head and "/" not in tail and "\\" not in tail and len(head) > 1:
        return head, sep, tail
    return raw, "", ""


def function_of(reference: str) -> str:
    """The function named after ``:`` in a ``file://x.py:fn`` reference ('' when none)."""
    return _split_function(reference.removeprefix("file://"))[2]


def read_text(path: Path) -> str:
    """A file's text (UTF-8, a BOM dropped), with a one-line error when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}:1: not UTF-8 text") from None


def read_data(path: Path) -> Any:
    """A YAML, JSON or JSONL file's data (JSONL: a list of the lines' values)."""
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError as error:
                    raise ConfigError(f"{path}:{number}: invalid JSON: {error}") from None
        return items
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        number = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{number}: invalid YAML: {error.problem or error}") from None

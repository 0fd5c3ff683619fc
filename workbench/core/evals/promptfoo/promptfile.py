"""Adding prompt versions to a project's ``prompts/system.yaml`` without rewriting it.

New versions go at the end of the ``versions:`` block and, when the file keeps a
``changelog:`` list (the readiness check wants one entry per version), an entry each at
the end of that block. Comments, order and the other sections stay as they are; the
result is parsed back and must hold exactly what was added.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import yaml

from workbench.errors import ConfigError


def _block(lines: list[str], key: str) -> tuple[int, int] | None:
    """(first line, end) of a top-level ``key:`` block; end excludes trailing blank lines."""
    start = next((i for i, line in enumerate(lines) if re.match(rf"{key}:\s*(#.*)?$", line)), None)
    if start is None:
        return None
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].strip() and not lines[i][0].isspace() and not lines[i].startswith("#")
        ),
        len(lines),
    )
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end


def _literal(name: str, text: str, indent: str) -> list[str]:
    body = [f"{indent}  {line}" if line else "" for line in text.strip("\n").splitlines()]
    return [f"{indent}{name}: |", *body]


def with_versions(path: Path, versions: dict[str, str], note: str) -> str:
    """The prompt file's text with ``versions`` (name -> text) added, and changelog entries."""
    if not path.is_file():
        lines = ["# Versioned system prompts.", "versions:"]
        for name, text in versions.items():
            lines += _literal(name, text, "  ")
        result = "\n".join(lines) + "\n"
    else:
        original = path.read_text(encoding="utf-8")
        lines = original.splitlines()
        found = _block(lines, "versions")
        if found is None:
            raise ConfigError(f"{path}: no top-level 'versions:' to add {', '.join(versions)} to")
        start, end = found
        first = next((line for line in lines[start + 1 : end] if line.strip()), "  x")
        indent = first[: len(first) - len(first.lstrip())] or "  "
        added: list[str] = []
        for name, text in versions.items():
            added += ["", *_literal(name, text, indent)]
        lines[end:end] = added
        changelog = _block(lines, "changelog")
        if changelog is not None:
            lines = _with_changelog(lines, changelog, versions, note)
        result = "\n".join(lines) + "\n"
    _check(path, result, versions)
    return result


def _with_changelog(
    lines: list[str], block: tuple[int, int], versions: dict[str, str], note: str
) -> list[str]:
    start, end = block
    items = [line for line in lines[start + 1 : end] if line.lstrip().startswith("- ")]
    if not items:
        return lines  # a mapping or an empty changelog: left as it is, the table says so
    dash = items[0][: len(items[0]) - len(items[0].lstrip())]
    today = datetime.now(UTC).date().isoformat()
    entries = []
    for name in versions:
        entries += [
            f"{dash}- version: {name}",
            f'{dash}  date: "{today}"',
            f"{dash}  author: workbench eval import",
            f"{dash}  note: {yaml.safe_dump(note, default_style=None).strip().splitlines()[0]}",
        ]
    return [*lines[:end], *entries, *lines[end:]]


def _check(path: Path, text: str, versions: dict[str, str]) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: the added prompt versions would not parse ({error})") from None
    found = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(found, dict) or any(
        str(found.get(name, "")).strip() != text_.strip() for name, text_ in versions.items()
    ):
        raise ConfigError(f"{path}: the added prompt versions would not read back as written")

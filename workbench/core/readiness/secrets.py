"""Secrets in a project's committed files, found by detect-secrets (code, config, prompts, CI).

Every file git would commit is scanned (``.gitignore`` honoured, so ``.env`` is skipped:
that is where local secrets belong), except ``tests/``, whose fake secrets exercise the
guardrails, and the workbench's own ``.workbench/`` digests. Values that announce
themselves as development placeholders (``dev-key``, ``test-key``) are not secrets: the
service refuses them outside development.
"""

from __future__ import annotations

import re
from pathlib import Path

# A placeholder, optionally in the `key:customer` form of the agent-service template.
PLACEHOLDER = re.compile(
    r"^(?:dev|test|example|changeme|placeholder)(?:[-_][a-z]+)*(?::[\w*-]+)?$", re.I
)
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".ruff_cache",
    ".pytest_cache",
    ".workbench",
    "tests",
}
# Lock files are lists of package hashes: high entropy by design, never secrets.
_SKIP_NAMES = {"requirements.lock", "uv.lock", "poetry.lock", "package-lock.json"}
_MAX_BYTES = 2_000_000


def committed_files(root: Path) -> list[Path]:
    """The project's files that ``.gitignore`` does not exclude, text-sized."""
    import pathspec

    ignore_file = root / ".gitignore"
    lines = ignore_file.read_text(encoding="utf-8").splitlines() if ignore_file.is_file() else []
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or _SKIP_DIRS & set(rel.parts) or path.name in _SKIP_NAMES:
            continue
        if spec.match_file(rel.as_posix()) or path.stat().st_size > _MAX_BYTES:
            continue
        found.append(path)
    return found


def scan_project(root: Path) -> tuple[list[str], int]:
    """(``file:line: <kind>`` for each secret found, files scanned)."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    files = committed_files(root)
    collection = SecretsCollection(root=str(root))
    with default_settings():
        for path in files:
            collection.scan_file(str(path.relative_to(root)))
    findings = []
    for filename, secret in collection:
        value = secret.secret_value or ""
        if value and PLACEHOLDER.match(value):
            continue
        findings.append(f"{filename}:{secret.line_number}: {secret.type}")
    return sorted(set(findings)), len(files)

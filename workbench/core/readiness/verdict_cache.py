"""Verdicts cached by a fingerprint of what they read, so an unchanged project re-checks fast.

The fingerprint covers every file of the project that git would commit plus ``.env`` (its
digest only), the checker's own code, the model the probes talk to, whether dynamic
probes ran, and the newest eval run of the project (``safety.evals`` reads it). Any change
to one of them re-runs the item. ``error`` verdicts (a probe could not run) are never
cached, nor are attested items (they read sign-offs, which are cheap to read).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.readiness.model import ItemResult

if TYPE_CHECKING:
    from sqlite_utils import Database

TABLE = "readiness_verdicts"
_SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".ruff_cache", ".pytest_cache", ".data"}
_CHECKER = Path(__file__).resolve().parent


def _digest_files(digest, root: Path, paths: list[Path]) -> None:
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())


def project_files(root: Path) -> list[Path]:
    """What the checks read: every file git would commit, plus ``.env``."""
    import pathspec

    ignore = root / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or _SKIP_DIRS & set(rel.parts):
            continue
        if spec.match_file(rel.as_posix()) and rel.as_posix() != ".env":
            continue
        found.append(path)
    return found


def fingerprint(root: Path, *, model: str, run_dynamic: bool, latest_eval: str = "") -> str:
    """sha256 over the project's files, the checker's code, the model and the mode."""
    digest = hashlib.sha256()
    digest.update(f"model={model}\0dynamic={run_dynamic}\0eval={latest_eval}\0".encode())
    _digest_files(digest, root, project_files(root))
    checker = sorted(_CHECKER.rglob("*.py"))
    _digest_files(digest, _CHECKER, checker)
    return digest.hexdigest()


def cached(db: Database, project: str, item_id: str, print_: str) -> ItemResult | None:
    """The stored verdict of ``item_id`` if it was reached on the same fingerprint."""
    if TABLE not in db.table_names():
        return None
    rows = list(
        db.table(TABLE).rows_where(
            "project_path = ? and item_id = ? and fingerprint = ?", [project, item_id, print_]
        )
    )
    if not rows:
        return None
    return ItemResult.model_validate_json(rows[0]["result"])


def remember(db: Database, project: str, result: ItemResult, print_: str, seconds: float) -> None:
    """Store ``result`` under the fingerprint (errors are not stored: they must re-run)."""
    if result.status == "error" or result.kind == "attested":
        return
    db.table(TABLE).upsert(
        {
            "project_path": project,
            "item_id": result.id,
            "fingerprint": print_,
            "result": json.dumps(result.model_dump()),
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
        },
        pk=("project_path", "item_id"),
    )

"""Which store a collector writes to, so a runner never sends its spans into another home's.

Every workbench home (``WORKBENCH_HOME``) has its own database; a collector
reports a digest of that database's path on ``/healthz`` (``store``), and a
client reuses a collector on the configured port only when the digest is its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from workbench import locations


def store_id(db_path: Path | None = None) -> str:
    """A short digest naming the database at ``db_path`` (default: this home's)."""
    path = (db_path or locations.db_path()).expanduser().resolve()
    return hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:16]

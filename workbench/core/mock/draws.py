"""The mock's seeded, reproducible draws: a number in [0, 1) from a hash of its inputs."""

from __future__ import annotations

import hashlib
from typing import Any


def unit(*parts: Any) -> float:
    """A number in [0, 1) that depends only on ``parts``: the mock's seeded, reproducible draws."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64

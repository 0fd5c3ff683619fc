"""Sharding an eval run: which shard each case × variant × repeat belongs to, stably.

An item's shard is a hash of its case id, variant name and repeat, never its
position in the set, so adding or removing a case moves only that case's items.
Every shard of a plan stores its results under its own run; ``merge`` puts them
back together into one run, where paired comparisons see every variant of a case.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from workbench.errors import WorkbenchError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 1000
# Run options that may differ between the shards of one plan (they do not change results).
LOCAL_OPTIONS = frozenset({"concurrency", "shard", "merged_from", "rate_limits"})


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, case_id: str, variant: str, repeat: int) -> bool:
        """Whether this shard runs that case × variant × repeat."""
        return shard_of(case_id, variant, repeat, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``I/N`` (1 <= I <= N) as a Shard; a one-line error otherwise."""
    match = _SHARD.match(str(text))
    if not match:
        raise WorkbenchError(f"--shard {text!r}: expected I/N, e.g. 1/3")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise WorkbenchError(f"--shard {text!r}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise WorkbenchError(f"--shard {text!r}: I must be between 1 and {count}")
    return Shard(index, count)


def shard_of(case_id: str, variant: str, repeat: int, count: int) -> int:
    """The shard (1..count) of an item: a stable hash, the same on every machine and run."""
    key = f"{case_id}\x00{variant}\x00{repeat}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def stored_shard(options: dict[str, Any]) -> Shard | None:
    """The shard a run's stored options name, or None for a whole run."""
    value = options.get("shard")
    return parse_shard(value) if value else None


def plan_fields(
    set_name: str,
    set_digest: str,
    variant_specs: list[dict[str, Any]],
    repeat: int,
    options: dict[str, Any],
) -> dict[str, str]:
    """What must be equal for two runs to be shards of one plan, each as a short digest."""

    def digest(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    shared = {key: value for key, value in options.items() if key not in LOCAL_OPTIONS}
    return {
        "set": set_name,
        "set digest": set_digest,
        "variants": digest(variant_specs),
        "repeat": str(repeat),
        "options (gate, judge)": digest(shared),
    }

"""Pacing eval turns to a provider's requests- and tokens-per-minute limits, shard by shard.

``[evals] requests_per_minute`` and ``tokens_per_minute`` are what evals may use of
the provider's limits. A run charges each turn's model calls (its ``steps``) and
tokens to per-minute windows (the ``limits`` library's fixed windows, one per
model lane) and starts a turn only while the current window has room. N shards
of one plan run at once, so each takes 1/N of the limits, unless
``rate_limit_storage_env`` names a variable holding the URL of a storage every
shard reaches (``async+redis://…``): then they draw from one counter and each may
use the whole limit. Charges come
after a turn (its calls and tokens are known only then), so a window can be
overshot by the turns already in flight when it fills.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class RateLimits:
    """Per-minute limits for real-model turns, and where their counters live."""

    rpm: int | None = None
    tpm: int | None = None
    # The environment variable holding the shared storage's URL (never the URL itself).
    storage_env: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RateLimits | None:
        """The limits a run's options carry (``rate_limits``), or None."""
        data = options.get("rate_limits") or {}
        limits = cls(rpm=data.get("rpm"), tpm=data.get("tpm"), storage_env=data.get("storage_env"))
        return limits if limits.rpm or limits.tpm else None

    def share(self, shards: int) -> RateLimits:
        """One shard's part: the whole limit over shared counters, else 1/``shards`` of it."""
        if self.storage_env or shards <= 1:
            return self
        return replace(
            self,
            rpm=max(1, self.rpm // shards) if self.rpm else None,
            tpm=max(1, self.tpm // shards) if self.tpm else None,
        )


class Pacer:
    """Waits for room in the per-minute windows before a turn; charges the turn after it."""

    def __init__(
        self, limits: RateLimits, *, namespace: str = "workbench-evals", window_s: int = 60
    ) -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.strategies import FixedWindowRateLimiter

        self.limits = limits
        self.namespace = namespace
        self._items = {
            kind: RateLimitItemPerSecond(amount, window_s, namespace=namespace)
            for kind, amount in (("requests", limits.rpm), ("tokens", limits.tpm))
            if amount
        }
        self._limiter = FixedWindowRateLimiter(_storage(limits.storage_env))

    async def wait(self, lane: str) -> float:
        """Sleep until every window of ``lane`` has room; the seconds waited."""
        waited = 0.0
        while True:
            full = [
                item for item in self._items.values() if not await self._limiter.test(item, lane)
            ]
            if not full:
                return waited
            stats = [await self._limiter.get_window_stats(item, lane) for item in full]
            delay = max(0.05, max(s.reset_time for s in stats) - time.time())
            await asyncio.sleep(delay)
            waited += delay

    async def charge(self, lane: str, *, requests: int, tokens: int) -> None:
        """Count a finished turn's model calls and tokens against ``lane``'s windows."""
        for kind, cost in (("requests", max(1, requests)), ("tokens", tokens)):
            item = self._items.get(kind)
            if item is not None and cost > 0:
                await self._limiter.hit(item, lane, cost=cost)


def _storage(env: str | None):
    import os

    from limits.aio.storage import MemoryStorage, RedisStorage

    if not env:
        return MemoryStorage()
    uri = os.environ.get(env, "")
    if not uri.startswith("async+redis://"):
        # Never echo the value: a Redis URL carries its password.
        state = "is unset" if not uri else "does not start with async+redis://"
        raise WorkbenchError(f"[evals] rate_limit_storage_env: {env} {state}")
    return RedisStorage(uri, implementation="redispy")

"""An exact-match response cache: the same model, prompt and conversation get the same answer.

Entries live in the state store with a time-to-live, so every replica shares them (Redis)
and a restart keeps them (SQLite).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .state import StateStore, get_state


def cache_key(model: str, messages: list[dict[str, Any]], tools: list[str], params: dict) -> str:
    """A stable digest of everything that determines a model's answer."""
    payload = json.dumps(
        {"model": model, "messages": messages, "tools": sorted(tools), "params": params},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """Model answers in the state store for `ttl_s` seconds; counts hits and misses."""

    def __init__(self, state: StateStore, ttl_s: float = 300.0) -> None:
        self.state = state
        self.ttl_s = ttl_s
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> Any | None:
        """The cached value for `key`, or None when absent or expired."""
        value = await self.state.cache_get(f"response:{key}")
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    async def put(self, key: str, value: Any) -> None:
        """Remember a JSON-serialisable `value` under `key`."""
        await self.state.cache_put(f"response:{key}", value, self.ttl_s)


_cache: ResponseCache | None = None


def get_cache() -> ResponseCache:
    """The process's response cache (on the process's state store)."""
    global _cache
    if _cache is None:
        from .settings import get_settings

        _cache = ResponseCache(get_state(), get_settings().cache_ttl_s)
    return _cache


def reset_cache() -> None:
    """Drop the process's cache object (tests, settings changes); entries stay in the store."""
    global _cache
    _cache = None

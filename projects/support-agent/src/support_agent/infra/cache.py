"""An exact-match response cache: the same model, prompt and conversation get the same answer."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from typing import Any


def cache_key(model: str, messages: list[dict[str, Any]], tools: list[str], params: dict) -> str:
    """A stable digest of everything that determines a model's answer."""
    payload = json.dumps(
        {"model": model, "messages": messages, "tools": sorted(tools), "params": params},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """An in-process LRU with a time-to-live; swap for Redis when running several replicas."""

    def __init__(self, ttl_s: float = 300.0, max_entries: int = 1000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        """The cached value for `key`, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(key, None)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        """Remember `value` under `key`, evicting the least recently used entry when full."""
        self._entries[key] = (time.monotonic() + self.ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


_cache: ResponseCache | None = None


def get_cache() -> ResponseCache:
    """The process's response cache."""
    global _cache
    if _cache is None:
        from .settings import get_settings

        settings = get_settings()
        _cache = ResponseCache(settings.cache_ttl_s, settings.cache_max_entries)
    return _cache


def reset_cache() -> None:
    """Drop the process's cache (tests, settings changes)."""
    global _cache
    _cache = None

"""Session memory: the store the settings choose (SQLite by default, or Redis)."""

from __future__ import annotations

from ..infra.settings import get_settings
from .base import SessionStore

_store: SessionStore | None = None


def get_store() -> SessionStore:
    """The process's session store, built from the settings on first use."""
    global _store
    if _store is None:
        settings = get_settings()
        if settings.memory_backend == "redis":
            from .redis import RedisStore

            _store = RedisStore(settings.redis_url)
        else:
            from .sqlite import SQLiteStore

            _store = SQLiteStore(settings.memory_path)
    return _store


def set_store(store: SessionStore | None) -> None:
    """Replace the process's store (tests)."""
    global _store
    _store = store


__all__ = ["SessionStore", "get_store", "set_store"]

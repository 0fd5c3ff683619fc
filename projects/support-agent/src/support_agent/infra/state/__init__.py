"""Shared state: `get_state()` is the process's `StateStore`, chosen by `AGENT_STATE_URL`.

`sqlite:///relative/path` or `sqlite:////absolute/path` (the default, `.data/state.sqlite3`)
embeds SQLite for one process; `redis://…` / `rediss://…` shares state between replicas.
"""

from __future__ import annotations

from pathlib import Path

from ..settings import PROJECT_ROOT, Settings, get_settings
from .base import BudgetExceeded, StateStore

_state: StateStore | None = None


class StateConfigError(ValueError):
    """AGENT_STATE_URL names no backend this service knows."""


def state_from_url(url: str, settings: Settings | None = None) -> StateStore:
    """Build the store a URL names (`sqlite:///…` or `redis://…`)."""
    settings = settings or get_settings()
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteState

        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        return SQLiteState(path, session_ttl_s=settings.session_ttl_s)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisState

        return RedisState.from_url(url, session_ttl_s=settings.session_ttl_s)
    scheme = url.split(":", 1)[0] or url
    raise StateConfigError(
        f"AGENT_STATE_URL: unknown backend {scheme!r} (use sqlite:/// or redis://)"
    )


def get_state() -> StateStore:
    """The process's state store, built from the settings on first use."""
    global _state
    if _state is None:
        settings = get_settings()
        _state = state_from_url(settings.state_url_resolved, settings)
    return _state


async def close_state() -> None:
    """Close the process's store (service shutdown); the next `get_state()` builds a new one."""
    global _state
    state, _state = _state, None
    if state is not None:
        await state.close()


def set_state(state: StateStore | None) -> None:
    """Replace the process's store (tests; None rebuilds it from the settings on next use)."""
    global _state
    _state = state


__all__ = [
    "BudgetExceeded",
    "StateConfigError",
    "StateStore",
    "close_state",
    "get_state",
    "set_state",
    "state_from_url",
]

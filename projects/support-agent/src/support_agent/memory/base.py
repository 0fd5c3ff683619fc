"""The session store interface: conversation history with a sliding window, and spend."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class SessionStore(Protocol):
    """What the agent needs from a store; SQLite by default, Redis behind the same interface."""

    def history(self, session_id: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        ...

    def append(self, session_id: str, messages: list[dict[str, Any]]) -> None:
        """Add messages (`{"role", "content"}`) to a session."""
        ...

    def clear(self, session_id: str) -> None:
        """Forget a session's history."""
        ...

    def add_usage(self, session_id: str | None, tokens: int, usd: float, day: str) -> None:
        """Record spend for a session and a day (`YYYY-MM-DD`)."""
        ...

    def session_tokens(self, session_id: str) -> int:
        """Tokens a session has used so far."""
        ...

    def usd_for_day(self, day: str) -> float:
        """Dollars spent on a day (`YYYY-MM-DD`)."""
        ...

    def usd_for_month(self, month: str) -> float:
        """Dollars spent in a month (`YYYY-MM`)."""
        ...

    def add_feedback(self, feedback: dict[str, Any]) -> None:
        """Keep a user's problem report for review."""
        ...

    def ping(self) -> None:
        """Raise if the store cannot be reached (used by /readiness)."""
        ...

"""Session history and spend in Redis, behind the same interface (install the `redis` extra)."""

from __future__ import annotations

import json
from typing import Any


class RedisStore:
    """A `SessionStore` in Redis; `redis` is imported only when this store is built."""

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        client: Any = None,
        prefix: str = "agent",
        max_messages: int = 500,
    ) -> None:
        if client is None:
            import redis  # lazy: only projects that choose Redis need the package

            client = redis.Redis.from_url(url, socket_timeout=2.0, decode_responses=True)
        self.client = client
        self.prefix = prefix
        self.max_messages = max_messages

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def history(self, session_id: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        raw = self.client.lrange(self._key("messages", session_id), -limit, -1)
        return [json.loads(item) for item in raw]

    def append(self, session_id: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a session, keeping at most `max_messages`."""
        key = self._key("messages", session_id)
        pipe = self.client.pipeline()
        pipe.rpush(key, *[json.dumps(message) for message in messages])
        pipe.ltrim(key, -self.max_messages, -1)
        pipe.execute()

    def clear(self, session_id: str) -> None:
        """Forget a session's history."""
        self.client.delete(self._key("messages", session_id))

    def add_usage(self, session_id: str | None, tokens: int, usd: float, day: str) -> None:
        """Record spend for a session, a day and its month."""
        pipe = self.client.pipeline()
        if session_id:
            pipe.incrby(self._key("tokens", session_id), tokens)
        pipe.incrbyfloat(self._key("usd", day), usd)
        pipe.incrbyfloat(self._key("usd", day[:7]), usd)
        pipe.execute()

    def session_tokens(self, session_id: str) -> int:
        """Tokens a session has used so far."""
        return int(self.client.get(self._key("tokens", session_id)) or 0)

    def usd_for_day(self, day: str) -> float:
        """Dollars spent on a day."""
        return float(self.client.get(self._key("usd", day)) or 0.0)

    def usd_for_month(self, month: str) -> float:
        """Dollars spent in a month."""
        return float(self.client.get(self._key("usd", month)) or 0.0)

    def add_feedback(self, feedback: dict[str, Any]) -> None:
        """Keep a user's problem report for review."""
        self.client.lpush(self._key("feedback"), json.dumps(feedback))

    def ping(self) -> None:
        """Raise if Redis does not answer."""
        self.client.ping()

"""The shared state store: Redis through `redis.asyncio`, for any number of replicas.

Every key carries an expiry except the audit trail and feedback. Read-check-write steps
(approval decisions, budget reservations) are Lua scripts, so they are atomic across
replicas; the rest are single commands or MULTI pipelines.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from .base import BudgetExceeded

# KEYS[1]: the approval hash. ARGV: new status, the decision as JSON.
_DECIDE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decision', ARGV[2])
return 1
"""

# KEYS[1]: the reservation; KEYS[2..]: counters. ARGV[1]: ttl in ms; then per counter its
# amount and its cap ('' for none); last: the reservation's amounts as JSON.
_RESERVE = """
local n = #KEYS - 1
for i = 1, n do
  local cap = ARGV[2 * i + 1]
  if cap ~= '' then
    local total = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
    if total >= tonumber(cap) then return {i, tostring(total)} end
  end
end
for i = 1, n do
  if tonumber(ARGV[2 * i]) ~= 0 then redis.call('INCRBYFLOAT', KEYS[i + 1], ARGV[2 * i]) end
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[2 * n + 2], 'PX', ARGV[1])
return {0, ''}
"""

# KEYS: counters; ARGV: the delta for each (a counter that expired meanwhile stays gone).
_ADJUST = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBYFLOAT', KEYS[i], ARGV[i]) end
end
return 1
"""

# KEYS[1]: the caller's sorted set of hits. ARGV: window (ms), limit, member. The clock is
# Redis's own, so replicas with skewed clocks still share one window.
_RATE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return ''
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisState:
    """A `StateStore` in Redis (see the module docstring)."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "agent",
        session_ttl_s: float = 7 * 86400,
        max_messages: int = 500,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.session_ttl_s = session_ttl_s
        self.max_messages = max_messages
        self._decide = client.register_script(_DECIDE)
        self._reserve = client.register_script(_RESERVE)
        self._adjust = client.register_script(_ADJUST)
        self._rate = client.register_script(_RATE)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisState:
        """A store on a new connection pool for `url` (redis://, rediss:// or unix://)."""
        client = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        return cls(client, **options)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # Sessions ------------------------------------------------------------------------
    async def history(self, session_key: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        raw = await self.client.lrange(self._key("session", session_key), -limit, -1)
        return [json.loads(item) for item in raw]

    async def append(self, session_key: str, messages: list[dict[str, Any]]) -> None:
        """Add messages, keep the last `max_messages`, restart the session's expiry."""
        if not messages:
            return
        key = self._key("session", session_key)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *[json.dumps(message) for message in messages])
            pipe.ltrim(key, -self.max_messages, -1)
            pipe.pexpire(key, _ms(self.session_ttl_s))
            await pipe.execute()

    async def clear(self, session_key: str) -> None:
        """Forget a session's history."""
        await self.client.delete(self._key("session", session_key))

    # Approvals -----------------------------------------------------------------------
    async def put_approval(self, record: dict[str, Any], ttl_s: float) -> None:
        """Store an approval as a hash (record, status) that expires, indexed by expiry."""
        key = self._key("approval", record["id"])
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(
                key,
                mapping={"record": json.dumps(record), "status": record.get("status", "pending")},
            )
            pipe.pexpire(key, _ms(ttl_s))
            # The index is scored by expiry, so expired ids are dropped here and it never
            # outgrows the live approvals (with one TTL, expiry order is request order).
            now = time.time()
            pipe.zremrangebyscore(self._key("approvals"), "-inf", now)
            pipe.zadd(self._key("approvals"), {record["id"]: now + ttl_s})
            await pipe.execute()

    @staticmethod
    def _merge(fields: dict[str, str]) -> dict[str, Any] | None:
        if not fields or "record" not in fields:
            return None
        record = json.loads(fields["record"])
        record["status"] = fields.get("status", record.get("status"))
        if fields.get("decision"):
            record.update(json.loads(fields["decision"]))
        return record

    async def get_approval(self, approval_id: str) -> dict[str, Any] | None:
        """One unexpired approval, or None."""
        return self._merge(await self.client.hgetall(self._key("approval", approval_id)))

    async def list_approvals(self, status: str | None = "pending") -> list[dict[str, Any]]:
        """Unexpired approvals with `status` (None or "all": all), oldest first."""
        ids = await self.client.zrange(self._key("approvals"), 0, -1)
        async with self.client.pipeline(transaction=False) as pipe:
            for approval_id in ids:
                pipe.hgetall(self._key("approval", approval_id))
            found = await pipe.execute()
        records, gone = [], []
        for approval_id, fields in zip(ids, found, strict=True):
            record = self._merge(fields)
            if record is None:
                gone.append(approval_id)
            elif status in (None, "all") or record.get("status") == status:
                records.append(record)
        if gone:
            await self.client.zrem(self._key("approvals"), *gone)
        return records

    async def decide_approval(
        self, approval_id: str, status: str, by: str, note: str | None = None
    ) -> dict[str, Any] | None:
        """Atomically move a pending approval to `status`; None if not pending."""
        decision = json.dumps({"decided_by": by, "decided_at": time.time(), "note": note})
        key = self._key("approval", approval_id)
        if not await self._decide(keys=[key], args=[status, decision]):
            return None
        return await self.get_approval(approval_id)

    async def add_audit(self, event: dict[str, Any]) -> None:
        """Append an audit event (kept without expiry)."""
        await self.client.lpush(self._key("audit"), json.dumps(event))

    async def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit events, newest first."""
        raw = await self.client.lrange(self._key("audit"), 0, limit - 1)
        return [json.loads(item) for item in raw]

    # Idempotency ---------------------------------------------------------------------
    async def claim_idempotency(self, key: str, ttl_s: float) -> bool:
        """SET NX: True for the first claim while the key lives."""
        return bool(await self.client.set(self._key("idem", key), "", nx=True, px=_ms(ttl_s)))

    async def put_idempotent_result(self, key: str, result: dict[str, Any], ttl_s: float) -> None:
        """Remember the result for `key`."""
        await self.client.set(self._key("idem", key), json.dumps(result), px=_ms(ttl_s))

    async def get_idempotent_result(self, key: str) -> dict[str, Any] | None:
        """The remembered result, or None (unknown, expired or still running)."""
        raw = await self.client.get(self._key("idem", key))
        return json.loads(raw) if raw else None

    # Rate limits ---------------------------------------------------------------------
    async def rate_limit_hit(self, caller: str, limit: int, window_s: int) -> tuple[bool, float]:
        """A moving window in a sorted set, checked and counted in one script."""
        wait = await self._rate(
            keys=[self._key("rate", caller)],
            args=[window_s * 1000, limit, uuid.uuid4().hex],
        )
        return (True, 0.0) if not wait else (False, max(0.0, float(wait) / 1000))

    # Budgets -------------------------------------------------------------------------
    async def reserve_budget(
        self, amounts: Mapping[str, float], caps: Mapping[str, float], ttl_s: float
    ) -> str:
        """Check the caps and add the amounts in one Lua script."""
        reservation = uuid.uuid4().hex
        names = list(dict.fromkeys([*caps, *amounts]))
        args: list[Any] = [_ms(ttl_s)]
        for name in names:
            cap = caps.get(name)
            args += [repr(float(amounts.get(name, 0.0))), "" if cap is None else repr(float(cap))]
        args.append(json.dumps({name: float(amounts.get(name, 0.0)) for name in names}))
        keys = [self._key("reservation", reservation)] + [self._key("budget", n) for n in names]
        index, total = await self._reserve(keys=keys, args=args)
        if int(index):
            name = names[int(index) - 1]
            raise BudgetExceeded(name, float(total), float(caps[name]))
        return reservation

    async def reconcile_budget(self, reservation: str, actual: Mapping[str, float]) -> None:
        """GETDEL the reservation (so it is reconciled once), then apply the differences."""
        raw = await self.client.getdel(self._key("reservation", reservation))
        if raw is None:
            return
        reserved: dict[str, float] = json.loads(raw)
        names = sorted(set(reserved) | set(actual))
        deltas = [actual.get(name, 0.0) - reserved.get(name, 0.0) for name in names]
        keys = [self._key("budget", name) for name, d in zip(names, deltas, strict=True) if d]
        if keys:
            await self._adjust(keys=keys, args=[repr(float(d)) for d in deltas if d])

    async def spend(self, counter: str) -> float:
        """A counter's total (spent plus reserved)."""
        return float(await self.client.get(self._key("budget", counter)) or 0.0)

    async def spend_many(self, counters: Sequence[str]) -> dict[str, float]:
        """Several counters' totals in one MGET."""
        if not counters:
            return {}
        values = await self.client.mget([self._key("budget", name) for name in counters])
        return {name: float(value or 0.0) for name, value in zip(counters, values, strict=True)}

    # Cache, feedback, health ---------------------------------------------------------
    async def cache_get(self, key: str) -> Any | None:
        """A cached value, or None."""
        raw = await self.client.get(self._key("cache", key))
        return json.loads(raw) if raw else None

    async def cache_put(self, key: str, value: Any, ttl_s: float) -> None:
        """Cache a JSON value for `ttl_s` seconds."""
        await self.client.set(
            self._key("cache", key), json.dumps(value, default=str), px=_ms(ttl_s)
        )

    async def add_feedback(self, report: dict[str, Any]) -> None:
        """Keep a user's problem report."""
        await self.client.lpush(self._key("feedback"), json.dumps(report))

    async def feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reports, newest first."""
        raw = await self.client.lrange(self._key("feedback"), 0, limit - 1)
        return [json.loads(item) for item in raw]

    async def ping(self) -> None:
        """Raise if Redis does not answer."""
        await self.client.ping()

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

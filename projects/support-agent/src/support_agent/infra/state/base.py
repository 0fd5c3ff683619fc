"""The state interface: everything several replicas must share, behind one async Protocol.

Two implementations: `sqlite.SQLiteState` (embedded, one process; the default) and
`redis.RedisState` (shared by every replica). `get_state()` in this package picks one from
`AGENT_STATE_URL`. Every method is a coroutine and none blocks the event loop.

Keys and records:
- Sessions: `session_key` is chosen by the caller of the store (the API namespaces it by
  caller, f"{caller_id}:{session_id}"); messages are `{"role", "content"}` dicts.
- Approvals: JSON records with at least `id` and `status` (`pending`, `approved`,
  `rejected`); they vanish after `ttl_s`.
- Budgets: named counters (`usd:day:2026-12-03`, `usd:day:2026-12-03:caller:ab12`,
  `tokens:session:<key>` …, see `infra/budget.py`), reserved before a model call and
  reconciled after, atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

APPROVAL_STATUSES = ("pending", "approved", "rejected")


class BudgetExceeded(Exception):
    """A reservation would go past a cap: the model is not called."""

    def __init__(self, kind: str, used: float, limit: float) -> None:
        super().__init__(f"{kind} budget reached ({used:g} of {limit:g})")
        self.kind = kind
        self.used = used
        self.limit = limit


@runtime_checkable
class StateStore(Protocol):
    """What the service needs to share between turns, requests and replicas."""

    # Sessions -------------------------------------------------------------------------
    async def history(self, session_key: str, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of a session, oldest first."""
        ...

    async def append(self, session_key: str, messages: list[dict[str, Any]]) -> None:
        """Add messages to a session (its expiry restarts: `session_ttl_s` of inactivity)."""
        ...

    async def clear(self, session_key: str) -> None:
        """Forget a session's history."""
        ...

    # Approvals and their audit trail --------------------------------------------------
    async def put_approval(self, record: dict[str, Any], ttl_s: float) -> None:
        """Store (or replace) an approval record keyed by `record["id"]` for `ttl_s`."""
        ...

    async def get_approval(self, approval_id: str) -> dict[str, Any] | None:
        """One approval record, or None when unknown or expired."""
        ...

    async def list_approvals(self, status: str | None = "pending") -> list[dict[str, Any]]:
        """Unexpired approvals with `status` (None or "all": every status), oldest first."""
        ...

    async def decide_approval(
        self, approval_id: str, status: str, by: str, note: str | None = None
    ) -> dict[str, Any] | None:
        """Atomically move a *pending* approval to `status` ("approved" or "rejected").

        Returns the updated record (with `decided_by`, `decided_at`, `note`), or None when
        the approval is unknown, expired or no longer pending: of two replicas deciding the
        same approval at once, exactly one gets the record.
        """
        ...

    async def add_audit(self, event: dict[str, Any]) -> None:
        """Append an audit event (who decided what, when); kept, never expired."""
        ...

    async def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit events, newest first."""
        ...

    # Idempotency ---------------------------------------------------------------------
    async def claim_idempotency(self, key: str, ttl_s: float) -> bool:
        """True for the first claim of `key` within `ttl_s`, False for every later one."""
        ...

    async def put_idempotent_result(self, key: str, result: dict[str, Any], ttl_s: float) -> None:
        """Remember the result of the operation that claimed `key`."""
        ...

    async def get_idempotent_result(self, key: str) -> dict[str, Any] | None:
        """The remembered result for `key`, or None (unknown, expired or still running)."""
        ...

    # Rate limits ---------------------------------------------------------------------
    async def rate_limit_hit(self, caller: str, limit: int, window_s: int) -> tuple[bool, float]:
        """Count one request for `caller` in a moving window of `window_s` seconds.

        Returns (allowed, retry_after_s); retry_after_s is 0 when allowed.
        """
        ...

    # Budgets -------------------------------------------------------------------------
    async def reserve_budget(
        self, amounts: Mapping[str, float], caps: Mapping[str, float], ttl_s: float
    ) -> str:
        """Atomically add `amounts` to their counters, unless a capped counter is full.

        A counter in `caps` is full when its total (spent plus reserved) is already at or
        over its cap; then nothing is added and `BudgetExceeded(counter, total, cap)` is
        raised. So concurrent callers overshoot a cap by at most one reservation. Counters
        expire `ttl_s` after their last change. Returns a reservation id for
        `reconcile_budget`.
        """
        ...

    async def reconcile_budget(self, reservation: str, actual: Mapping[str, float]) -> None:
        """Replace a reservation's amounts by what was actually spent (missing counters: 0)."""
        ...

    async def spend(self, counter: str) -> float:
        """A counter's total: spent plus still reserved (0 when unknown)."""
        ...

    async def spend_many(self, counters: Sequence[str]) -> dict[str, float]:
        """Several counters' totals in one round trip, by name (0 when unknown)."""
        ...

    # Response cache ------------------------------------------------------------------
    async def cache_get(self, key: str) -> Any | None:
        """A cached JSON value, or None when absent or expired."""
        ...

    async def cache_put(self, key: str, value: Any, ttl_s: float) -> None:
        """Cache a JSON-serialisable value for `ttl_s` seconds."""
        ...

    # Feedback and health -------------------------------------------------------------
    async def add_feedback(self, report: dict[str, Any]) -> None:
        """Keep a user's problem report for review."""
        ...

    async def feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reports, newest first."""
        ...

    async def ping(self) -> None:
        """Raise if the store cannot be reached (readiness)."""
        ...

    async def close(self) -> None:
        """Release connections (the store is unusable afterwards)."""
        ...

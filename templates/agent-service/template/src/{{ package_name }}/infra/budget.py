"""The budget governor: token and dollar limits per request, session, caller, day and month.

Limits shared by turns (tokens per session, dollars per day, per caller per day and per
month) live in counters in the state store. Before each model call the governor *reserves*
the call's estimated cost there, atomically and only while every capped counter is under its
cap; after the call it *reconciles* the reservation to the actual cost. So concurrent turns
on any number of replicas overshoot a cap by at most one call's estimate, instead of all
reading the same stale total at turn start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .logs import get_logger
from .settings import Budgets
from .state.base import BudgetExceeded, StateStore

log = get_logger("budget")

BUDGET_REACHED_MESSAGE = (
    "I'm sorry, this conversation has reached its usage budget, so I can't continue right now. "
    "A member of our support team can help you further."
)

# Counters outlive their period by a margin, then expire (a month plus a few days).
COUNTER_TTL_S = 35 * 86400.0

__all__ = [
    "BUDGET_REACHED_MESSAGE",
    "BudgetExceeded",
    "BudgetGovernor",
    "effective_budgets",
]


def effective_budgets(base: Budgets, overrides: dict[str, Any] | None) -> Budgets:
    """The project's budgets with a turn's overrides (request['budget']) applied."""
    if not overrides:
        return base
    known = {k: v for k, v in overrides.items() if k in Budgets.model_fields}
    return base.model_copy(update=known)


def counter_names(now: datetime, session_key: str | None, caller: str) -> dict[str, str]:
    """The state-store counter behind each shared limit, for a moment, session and caller."""
    day, month = now.date().isoformat(), now.strftime("%Y-%m")
    names = {
        "usd_per_day": f"usd:day:{day}",
        "usd_per_day_per_caller": f"usd:day:{day}:caller:{caller}",
        "usd_per_month": f"usd:month:{month}",
    }
    if session_key:
        names["tokens_per_session"] = f"tokens:session:{session_key}"
    return names


@dataclass
class BudgetGovernor:
    """One turn's spend against the limits; build it with `await BudgetGovernor.start(...)`."""

    limits: Budgets
    state: StateStore
    session_key: str | None = None
    caller: str = "local"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    request_tokens: int = 0
    request_usd: float = 0.0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    _alerted: set[tuple[str, float]] = field(default_factory=set)
    _before: dict[str, float] = field(default_factory=dict)
    _reservation: str | None = None
    _reserved: dict[str, float] = field(default_factory=dict)

    @classmethod
    async def start(
        cls,
        limits: Budgets,
        state: StateStore,
        session_key: str | None = None,
        caller: str = "local",
    ) -> BudgetGovernor:
        """A governor that has read the shared counters' totals (for alerts and spans)."""
        governor = cls(limits, state, session_key, caller)
        counters = governor.counters
        totals = await state.spend_many(list(counters.values()))
        governor._before = {kind: totals[name] for kind, name in counters.items()}
        return governor

    @property
    def counters(self) -> dict[str, str]:
        """The store counter behind each shared limit."""
        return counter_names(self.now, self.session_key, self.caller)

    @property
    def limits_tokens(self) -> bool:
        """Whether any token limit applies (only then is a prompt's size worth estimating)."""
        return (
            self.limits.tokens_per_request is not None or self.limits.tokens_per_session is not None
        )

    def usage(self) -> dict[str, tuple[float, float | None]]:
        """Each budget as (used, limit); shared ones as of the turn's start plus this turn."""
        before = self._before
        return {
            "tokens_per_request": (self.request_tokens, self.limits.tokens_per_request),
            "tokens_per_session": (
                before.get("tokens_per_session", 0.0) + self.request_tokens,
                self.limits.tokens_per_session,
            ),
            "usd_per_request": (self.request_usd, self.limits.usd_per_request),
            "usd_per_day": (
                before.get("usd_per_day", 0.0) + self.request_usd,
                self.limits.usd_per_day,
            ),
            "usd_per_day_per_caller": (
                before.get("usd_per_day_per_caller", 0.0) + self.request_usd,
                self.limits.usd_per_day_per_caller,
            ),
            "usd_per_month": (
                before.get("usd_per_month", 0.0) + self.request_usd,
                self.limits.usd_per_month,
            ),
        }

    async def check_before_call(
        self, estimated_tokens: int = 0, estimated_usd: float = 0.0
    ) -> None:
        """Reserve the next model call's estimated cost; `BudgetExceeded` if a limit is hit.

        Per-request limits are checked here; shared limits atomically in the store.
        """
        await self.release()
        for kind, used, limit in (
            ("tokens_per_request", self.request_tokens, self.limits.tokens_per_request),
            ("usd_per_request", self.request_usd, self.limits.usd_per_request),
        ):
            if limit is None:
                continue
            projected = used + estimated_tokens if kind.startswith("tokens") else used
            if projected >= limit or (kind.startswith("tokens") and projected > limit):
                self._alert(kind, used, limit, 1.0)
                raise BudgetExceeded(kind, projected, limit)
        names = self.counters
        amounts = {names[k]: estimated_usd for k in names if k.startswith("usd")}
        caps: dict[str, float] = {}
        for kind, name in names.items():
            limit = getattr(self.limits, kind)
            if limit is not None:
                caps[name] = limit
        if "tokens_per_session" in names:
            name = names["tokens_per_session"]
            amounts[name] = float(estimated_tokens)
            if name in caps:
                # Tokens must fit: full once total + estimate > cap, i.e. total > cap - estimate.
                caps[name] = caps[name] - estimated_tokens + 0.5
        try:
            self._reservation = await self.state.reserve_budget(amounts, caps, COUNTER_TTL_S)
        except BudgetExceeded as error:
            kind = next(k for k, n in names.items() if n == error.kind)
            limit = float(getattr(self.limits, kind))
            self._alert(kind, error.used, limit, 1.0)
            raise BudgetExceeded(kind, error.used, limit) from None
        self._reserved = amounts

    async def record(self, tokens: int, usd: float) -> list[dict[str, Any]]:
        """Settle the call's reservation at its actual spend; returns the alerts it crossed."""
        before = {k: (u / lim if lim else 0.0) for k, (u, lim) in self.usage().items()}
        self.request_tokens += tokens
        self.request_usd += usd
        if self._reservation is not None:
            actual = {
                name: float(tokens) if name.startswith("tokens:") else usd
                for name in self._reserved
            }
            reservation, self._reservation = self._reservation, None
            await self.state.reconcile_budget(reservation, actual)
        crossed = []
        for kind, (used, limit) in self.usage().items():
            if not limit:
                continue
            ratio = used / limit
            for threshold in sorted(self.limits.alert_thresholds):
                if before[kind] < threshold <= ratio:
                    crossed.append(self._alert(kind, used, limit, threshold))
        return [alert for alert in crossed if alert]

    async def release(self) -> None:
        """Give back a reservation whose call never completed (failed or cancelled)."""
        if self._reservation is not None:
            reservation, self._reservation = self._reservation, None
            await self.state.reconcile_budget(reservation, {})

    def _alert(self, kind: str, used: float, limit: float, threshold: float) -> dict[str, Any]:
        if (kind, threshold) in self._alerted:
            return {}
        self._alerted.add((kind, threshold))
        alert = {
            "workbench.budget.kind": kind,
            "workbench.budget.threshold": threshold,
            "workbench.budget.used": float(used),
            "workbench.budget.limit": float(limit),
        }
        self.alerts.append(alert)
        log.warning("budget_alert", kind=kind, threshold=threshold, used=used, limit=limit)
        return alert

    async def commit(self) -> None:
        """End the turn: release an unsettled reservation (spend was recorded per call)."""
        await self.release()

    def span_attributes(self) -> dict[str, float]:
        """`workbench.budget.*` attributes describing spend against each limit."""
        attributes: dict[str, float] = {}
        for kind, (used, limit) in self.usage().items():
            attributes[f"workbench.budget.{kind}.used"] = float(used)
            if limit is not None:
                attributes[f"workbench.budget.{kind}.limit"] = float(limit)
        return attributes

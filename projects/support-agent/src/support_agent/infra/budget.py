"""The budget governor: token and dollar limits per request, session, day and month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..memory.base import SessionStore
from .logs import get_logger
from .settings import Budgets

log = get_logger("budget")

BUDGET_REACHED_MESSAGE = (
    "I'm sorry, this conversation has reached its usage budget, so I can't continue right now. "
    "A member of our support team can help you further."
)


class BudgetExceeded(Exception):
    """A limit is reached: the agent answers gracefully instead of calling the model."""

    def __init__(self, kind: str, used: float, limit: float) -> None:
        super().__init__(f"{kind} budget reached ({used:g} of {limit:g})")
        self.kind = kind
        self.used = used
        self.limit = limit


def effective_budgets(base: Budgets, overrides: dict[str, Any] | None) -> Budgets:
    """The project's budgets with a turn's overrides (request['budget']) applied."""
    if not overrides:
        return base
    known = {k: v for k, v in overrides.items() if k in Budgets.model_fields}
    return base.model_copy(update=known)


@dataclass
class BudgetGovernor:
    """Tracks one turn's spend against the limits and raises alerts at the thresholds."""

    limits: Budgets
    store: SessionStore
    session_id: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    request_tokens: int = 0
    request_usd: float = 0.0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    _alerted: set[tuple[str, float]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.session_tokens_before = (
            self.store.session_tokens(self.session_id) if self.session_id else 0
        )
        self.day_usd_before = self.store.usd_for_day(self.now.date().isoformat())
        self.month_usd_before = self.store.usd_for_month(self.now.strftime("%Y-%m"))

    @property
    def limits_tokens(self) -> bool:
        """Whether any token limit applies (only then is a prompt's size worth estimating)."""
        return (
            self.limits.tokens_per_request is not None or self.limits.tokens_per_session is not None
        )

    def usage(self) -> dict[str, tuple[float, float | None]]:
        """Each budget as (used, limit)."""
        return {
            "tokens_per_request": (self.request_tokens, self.limits.tokens_per_request),
            "tokens_per_session": (
                self.session_tokens_before + self.request_tokens,
                self.limits.tokens_per_session,
            ),
            "usd_per_request": (self.request_usd, self.limits.usd_per_request),
            "usd_per_day": (self.day_usd_before + self.request_usd, self.limits.usd_per_day),
            "usd_per_month": (self.month_usd_before + self.request_usd, self.limits.usd_per_month),
        }

    def check_before_call(self, estimated_tokens: int = 0) -> None:
        """Raise `BudgetExceeded` if the next model call would break a limit."""
        for kind, (used, limit) in self.usage().items():
            if limit is None:
                continue
            projected = used + estimated_tokens if kind.startswith("tokens") else used
            if projected >= limit or (kind.startswith("tokens") and projected > limit):
                self._alert(kind, used, limit, 1.0)
                raise BudgetExceeded(kind, projected, limit)

    def record(self, tokens: int, usd: float) -> list[dict[str, Any]]:
        """Add a model call's spend; returns the alerts it crossed (also logged)."""
        before = {k: (u / lim if lim else 0.0) for k, (u, lim) in self.usage().items()}
        self.request_tokens += tokens
        self.request_usd += usd
        crossed = []
        for kind, (used, limit) in self.usage().items():
            if not limit:
                continue
            ratio = used / limit
            for threshold in sorted(self.limits.alert_thresholds):
                if before[kind] < threshold <= ratio:
                    crossed.append(self._alert(kind, used, limit, threshold))
        return [alert for alert in crossed if alert]

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

    def commit(self) -> None:
        """Persist this turn's spend so later turns and days see it."""
        if self.request_tokens or self.request_usd:
            self.store.add_usage(
                self.session_id, self.request_tokens, self.request_usd, self.now.date().isoformat()
            )

    def span_attributes(self) -> dict[str, float]:
        """`workbench.budget.*` attributes describing spend against each limit."""
        attributes: dict[str, float] = {}
        for kind, (used, limit) in self.usage().items():
            attributes[f"workbench.budget.{kind}.used"] = float(used)
            if limit is not None:
                attributes[f"workbench.budget.{kind}.limit"] = float(limit)
        return attributes

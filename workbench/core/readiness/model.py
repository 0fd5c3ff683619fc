"""The checklist's data: items, their kinds and groups, and the verdicts evaluation returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from workbench.core.readiness.attested import Fingerprint
    from workbench.core.readiness.context import CheckContext

Kind = Literal["static", "dynamic", "attested"]
# "n/a": the item does not apply to this project (an adopted agent); never required.
Status = Literal["pass", "fail", "warn", "needs-signoff", "error", "n/a"]

GROUPS: tuple[str, ...] = ("reliability", "deployment", "observability", "cost", "safety")
GROUP_TITLES: dict[str, str] = {
    "reliability": "Reliability",
    "deployment": "Deployment",
    "observability": "Observability",
    "cost": "Cost",
    "safety": "Safety",
}


class ItemResult(BaseModel):
    """The verdict on one checklist item, with the evidence behind it and a fix hint."""

    id: str
    group: str
    title: str
    kind: Kind
    status: Status
    evidence: list[str] = Field(default_factory=list)
    hint: str = ""
    required: bool = True

    @property
    def passed(self) -> bool:
        """Whether this item counts as passing for the score and the gate."""
        return self.status == "pass"


class ChecklistResult(BaseModel):
    """The whole checklist: every item's verdict, the readiness score and what blocks shipping."""

    project: str = ""
    passed: bool
    score: float
    items: list[ItemResult]
    blocking: list[ItemResult]


@dataclass(frozen=True)
class Verdict:
    """What a check function returns; the registry adds the item's identity."""

    status: Status
    evidence: tuple[str, ...] = ()
    hint: str = ""

    @classmethod
    def ok(cls, *evidence: str) -> Verdict:
        """A pass with its evidence."""
        return cls("pass", tuple(evidence))

    @classmethod
    def fail(cls, hint: str, *evidence: str) -> Verdict:
        """A failure with a concrete fix hint and whatever evidence was found."""
        return cls("fail", tuple(evidence), hint)

    @classmethod
    def warn(cls, hint: str, *evidence: str) -> Verdict:
        """Partly there: not blocking on its own merits, but not a pass either."""
        return cls("warn", tuple(evidence), hint)

    @classmethod
    def error(cls, why: str, *evidence: str) -> Verdict:
        """A dynamic probe could not run; ``why`` says what stopped it."""
        return cls("error", (*evidence, f"probe could not run: {why}"), "")


Check = Callable[["CheckContext"], Verdict]


@dataclass(frozen=True)
class Item:
    """One checklist item: its identity, its kind and the function that judges it."""

    id: str
    group: str
    title: str
    kind: Kind
    check: Check | None = None
    required: bool = True
    # For attested items: the hash of the evidence a sign-off vouches for.
    fingerprint: Callable[[CheckContext], Fingerprint] | None = None
    # Dynamic items in the same lane share processes and run one after another; lanes run
    # concurrently (the attacked service, the runner child, the project's own tests...).
    lane: str = ""

    def result(self, verdict: Verdict) -> ItemResult:
        """This item's result for ``verdict``."""
        return ItemResult(
            id=self.id,
            group=self.group,
            title=self.title,
            kind=self.kind,
            status=verdict.status,
            evidence=list(verdict.evidence),
            hint=verdict.hint,
            required=self.required,
        )

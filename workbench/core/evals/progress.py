"""How the eval engine reports progress: small immutable events any front end can consume.

The engine calls a ``ProgressListener`` (any callable taking one event) from its
event loop; a CLI feeds a rich progress bar from it, a Textual screen posts the
events as messages (``App.call_from_thread`` when the engine runs in a worker thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Counts:
    """Where a run stands: results so far, spend so far, and time taken."""

    total: int
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    spend_usd: float = 0.0
    elapsed_s: float = 0.0
    # Results recorded by this process (a resumed run starts with ``done`` > 0).
    done_here: int = 0

    @property
    def pass_rate(self) -> float | None:
        """Passes over results so far (errors count as not passing); ``None`` before any."""
        return self.passed / self.done if self.done else None

    @property
    def eta_s(self) -> float | None:
        """Seconds left at this process's pace so far; ``None`` until there is a pace."""
        if not self.done_here or self.elapsed_s <= 0:
            return None
        return (self.total - self.done) * self.elapsed_s / self.done_here


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run began (or resumed): its id, what it runs, and how much was already done."""

    run_id: str
    set_name: str
    variants: tuple[str, ...]
    counts: Counts
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class ResultRecorded:
    """One case × variant × repeat was graded and queued for the store."""

    run_id: str
    case_id: str
    variant: str
    repeat: int
    category: str
    status: str
    score: float
    latency_ms: float
    cost_usd: float
    counts: Counts


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A model answered 429; that model's lane pauses before trying again."""

    run_id: str
    variant: str
    delay_s: float
    attempt: int


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A run ended: ``complete``, ``interrupted`` (cancelled) or ``failed``."""

    run_id: str
    status: str
    counts: Counts
    message: str = ""


ProgressEvent = RunStarted | ResultRecorded | RateLimited | RunFinished


class ProgressListener(Protocol):
    """Anything that takes progress events; it must return fast (it runs on the engine's loop)."""

    def __call__(self, event: ProgressEvent) -> None: ...

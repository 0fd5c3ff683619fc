"""What a runner is doing while the user waits: named phases, each with when it began.

Starting a project's runner is several steps at once (the child importing the
project, the mock or the model check, the collector); front ends show the
steps still going with a ticking elapsed time instead of a static "Starting…".
A ``Phases`` is written from the event loop and from start-up threads and read
from any thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

COLLECTOR = "starting the trace collector"
IMPORT = "importing the project"
WARM = "warming up the project"
RESTART = "restarting the agent (its code changed)"
MOCK = "starting the mock model"
REPLAY = "loading the cassettes"
CHECK = "checking the model"
RECORDER = "starting the recorder"
FIRST_ANSWER = "waiting for the model's first answer"
TURN = "running the turn"
TRACE = "reading the trace"
STOP = "stopping the agent"

Listener = Callable[["PhaseEvent"], None]


@dataclass(frozen=True)
class PhaseEvent:
    """A phase began (``done`` False) or ended (``done`` True, ``seconds`` it took)."""

    name: str
    done: bool
    seconds: float = 0.0
    # Seconds since the ``Phases`` was created, when this happened.
    at: float = 0.0


class Phases:
    """The phases going on now, in the order they began; listeners hear each change."""

    def __init__(self, listener: Listener | None = None) -> None:
        self.created = time.monotonic()
        self._active: dict[str, float] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = [listener] if listener else []

    def listen(self, listener: Listener) -> None:
        """Also tell ``listener`` of every phase that begins or ends from now on."""
        self._listeners.append(listener)

    def begin(self, name: str) -> None:
        """``name`` has begun (again, if it was going on: its clock restarts)."""
        now = time.monotonic()
        with self._lock:
            self._active.pop(name, None)
            self._active[name] = now
        self._tell(PhaseEvent(name, False, at=now - self.created))

    def end(self, name: str) -> None:
        """``name`` has ended; nothing happens if it was not going on."""
        now = time.monotonic()
        with self._lock:
            began = self._active.pop(name, None)
        if began is not None:
            self._tell(PhaseEvent(name, True, now - began, now - self.created))

    @contextlib.contextmanager
    def during(self, name: str) -> Iterator[None]:
        """``name`` is going on inside the block, however it ends."""
        self.begin(name)
        try:
            yield
        finally:
            self.end(name)

    def active(self) -> list[tuple[str, float]]:
        """``(name, seconds so far)`` of each phase going on, oldest first."""
        now = time.monotonic()
        with self._lock:
            return [(name, now - began) for name, began in self._active.items()]

    def describe(self) -> str:
        """The phases going on and the longest one's elapsed time, e.g.
        ``importing the project · starting the mock model · 3.4 s``; empty when none."""
        active = self.active()
        if not active:
            return ""
        names = " · ".join(name for name, _ in active)
        return f"{names[:1].upper()}{names[1:]} · {max(s for _, s in active):.1f} s"

    def _tell(self, event: PhaseEvent) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a display must never break a run
                listener(event)

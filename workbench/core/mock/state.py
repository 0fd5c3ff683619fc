"""The mock server's options and state: rules (reloaded on change), counters, stop signal."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeGuard

from workbench.core.mock.cassettes import CassetteStore
from workbench.core.mock.faults import Overrides
from workbench.core.mock.loader import RuleBook, load_rules, signature
from workbench.core.mock.responses_api import ResponseStore
from workbench.core.mock.upstream import Upstream

Mode = Literal["rules", "record", "replay", "passthrough"]
MODES: tuple[str, ...] = ("rules", "record", "replay", "passthrough")


def is_mode(value: str) -> TypeGuard[Mode]:
    """Whether ``value`` names one of the mock's modes."""
    return value in MODES


@dataclass(frozen=True)
class MockOptions:
    """Everything that decides how the mock answers."""

    mode: Mode = "rules"
    rules_dir: Path | None = None
    cassette_dir: Path = Path("cassettes")
    priced_as: str = "gpt-4o-mini"
    overrides: Overrides = field(default_factory=Overrides)
    upstream: Upstream | None = None
    # Model names served besides priced_as and the rules' (the project's [models], --serve-model).
    models: tuple[str, ...] = ()


class MockState:
    """Shared by all requests of one server: the rule book, per-request counters, the stop event."""

    def __init__(self, options: MockOptions) -> None:
        self.options = options
        self.store = CassetteStore(options.cassette_dir)
        self.responses = ResponseStore()
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._signature: tuple = ()
        self._book = RuleBook()
        self.calls = 0
        self.misses: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.stopping = threading.Event()
        self.rules()  # raise ConfigError now, at start, for a bad rule file

    def rules(self) -> RuleBook:
        """The current rules, re-read when a file in ``mocks/`` changed since the last call."""
        current = signature(self.options.rules_dir)
        if current != self._signature or not self._signature:
            book = load_rules(self.options.rules_dir)
            with self._lock:
                self._book, self._signature = book, current
        return self._book

    def occurrence(self, key: str) -> int:
        """How many times this request was seen before (0 the first time)."""
        with self._lock:
            self.calls += 1
            seen = self._seen.get(key, 0)
            self._seen[key] = seen + 1
            return seen

    def missed(self, key: str) -> None:
        """Note a strict-replay miss, so whoever runs the mock can name the missing request."""
        with self._lock:
            self.misses.append(key)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach the server's event loop, so ``stop`` can wake sleeping requests."""
        self.loop = loop
        self.stop_event = asyncio.Event()

    def stop(self) -> None:
        """Wake every sleeping or hanging request so shutdown does not wait for them."""
        self.stopping.set()
        if self.loop is not None and self.stop_event is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop_event.set)

    async def sleep(self, seconds: float) -> bool:
        """Sleep, unless the server stops first; True if it slept the whole time."""
        if seconds <= 0:
            return True
        if self.stop_event is None:
            await asyncio.sleep(seconds)
            return True
        try:
            await asyncio.wait_for(self.stop_event.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

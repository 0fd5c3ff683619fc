"""The forwarding counters ``workbench collect`` prints while it runs (and once at the end)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def forward_line(stats: dict[str, Any]) -> str:
    """One line of counters: ``forward: 12 forwarded, 1 retried, 0 dropped, backlog 0 …``."""
    line = (
        f"forward: {stats['forwarded']} forwarded, {stats['retried']} retried,"
        f" {stats['dropped']} dropped, {stats['rejected']} refused, backlog {stats['backlog']}"
    )
    return f"{line} ({stats['last_error']})" if stats.get("last_error") else line


class ForwardReporter:
    """Prints the forwarder's counters every ``every_s`` seconds when they changed."""

    def __init__(self, forwarder: Any, echo: Callable[[str], None], every_s: float = 10.0):
        self.forwarder, self.echo, self.every_s = forwarder, echo, every_s
        self._stop = threading.Event()
        self._last = ""
        self._thread = threading.Thread(target=self._run, name="forward-status", daemon=True)

    def __enter__(self) -> ForwardReporter:
        if self.forwarder is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.forwarder is None:
            return
        self._stop.set()
        self._thread.join(1.0)
        self.echo(forward_line(self.forwarder.stats()))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            line = forward_line(self.forwarder.stats())
            if line != self._last:
                self._last = line
                self.echo(line)

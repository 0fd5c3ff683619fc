"""Key latency of the real TUI in a pseudo-terminal: from a key written to the terminal until
the screen shows it, while the project's agent starts, at idle, and while Readiness runs its
static checks. Used by bench/tui_wait.py (``--only keys``); no Pilot: the app reads the key
from its terminal and draws the answer to it, as for a user.

Each press types a letter into the Run screen's message field; the latency is the time until
the field's text so far (drawn as one line) is read back from the terminal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Capitals no progress line, footer or title of the Run screen draws next to each other.
LETTERS = "ZQXJKVWY"
STARTING = b"Getting the agent ready"
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


@dataclass
class Terminal:
    """The TUI in a pseudo-terminal, and everything it drew, with when it was read."""

    pid: int
    fd: int
    screen: bytearray = field(default_factory=bytearray)
    # (time read, offset in ``screen`` after the read)
    reads: list[tuple[float, int]] = field(default_factory=list)

    def pump(self, seconds: float) -> None:
        """Read what the app draws for ``seconds``."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.005))
            if ready:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    return
                self.screen.extend(chunk)
                self.reads.append((time.perf_counter(), len(self.screen)))

    def press(self, keys: bytes, settle: float = 0.3) -> None:
        """Write ``keys`` and read for ``settle`` seconds."""
        os.write(self.fd, keys)
        self.pump(settle)

    def drawn_within(self, seconds: float) -> bytes:
        """What was drawn in the last ``seconds``, escape sequences removed."""
        since = time.perf_counter() - seconds
        offsets = [offset for at, offset in self.reads if at < since]
        return self.text_since(offsets[-1] if offsets else 0)

    def text_since(self, offset: int) -> bytes:
        """What was drawn after ``offset``, escape sequences removed."""
        return ESCAPES.sub(b"", bytes(self.screen[offset:]))

    def latency(self, letter: bytes, expected: bytes, timeout: float = 30.0) -> float:
        """Seconds from writing ``letter`` until ``expected`` (the field's text) is drawn."""
        mark = len(self.screen)
        sent = time.perf_counter()
        os.write(self.fd, letter)
        while time.perf_counter() - sent < timeout:
            self.pump(0.005)
            if expected in self.text_since(mark):
                for at, offset in self.reads:
                    if at >= sent and expected in self.text_since(mark)[: offset - mark]:
                        return at - sent
        raise TimeoutError(f"{expected!r} was not drawn in {timeout:g} s")


@contextlib.contextmanager
def tui(
    project: Path, env: dict[str, str], size: tuple[int, int] = (200, 50)
) -> Iterator[Terminal]:
    """``workbench tui PROJECT`` in a pseudo-terminal of ``size`` columns x rows."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the TUI
        os.environ.clear()
        os.environ.update(env, TERM="xterm-256color")
        os.execvp("workbench", ["workbench", "tui", str(project)])
    columns, rows = size
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    terminal = Terminal(pid, fd)
    try:
        yield terminal
    finally:
        with contextlib.suppress(OSError):
            os.write(fd, b"\x11")  # ctrl+q
            terminal.pump(2.0)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(fd)


def type_for(terminal: Terminal, seconds: float, gap: float = 0.25) -> list[tuple[float, bool]]:
    """Type letters into the focused field for ``seconds``: (latency, agent starting) each.

    Every eight letters the field is emptied again (backspaces, not timed)."""
    samples: list[tuple[float, bool]] = []
    typed = b""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if len(typed) == len(LETTERS):
            terminal.press(b"\x7f" * len(typed))
            typed = b""
        letter = LETTERS[len(typed)].encode()
        # The progress line ticks a few times a second while the agent starts.
        starting = STARTING in terminal.drawn_within(1.5)
        typed += letter
        samples.append((terminal.latency(letter, typed), starting))
        terminal.pump(gap)
    return samples


def summary(latencies: list[float]) -> str:
    """``n, median, p95, max`` in ms."""
    if not latencies:
        return "no presses"
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"{len(ordered)} presses, median {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
    )


def bench_keys(project: Path, env: dict[str, str], idle_seconds: float = 6.0) -> dict[str, str]:
    """Key latency while the agent starts (the app opened on ``project``), at idle once it
    is ready, and while Readiness runs its static checks."""
    results: dict[str, str] = {}
    with tui(project, env) as terminal:
        deadline = time.perf_counter() + 120
        while b"Readiness" not in terminal.text_since(0):  # the footer: the app is up
            terminal.pump(0.1)
            if time.perf_counter() > deadline:
                raise TimeoutError("the TUI did not start in 2 minutes")
        terminal.press(b"2", settle=0.5)  # the Run screen, its message field focused
        samples = type_for(terminal, 1.0)
        deadline = time.perf_counter() + 180
        while STARTING in terminal.drawn_within(1.5) and time.perf_counter() < deadline:
            samples += type_for(terminal, 1.0)
        results["agent starting"] = summary([s for s, starting in samples if starting])
        terminal.press(b"\x7f" * len(LETTERS))
        results["idle"] = summary([s for s, _ in type_for(terminal, idle_seconds)])
        terminal.press(b"\x7f" * len(LETTERS) + b"\x1b", settle=0.5)  # leave the field
        terminal.press(b"5", settle=0.5)
        terminal.press(b"c", settle=0.05)  # static checks
        terminal.press(b"2", settle=1.0)
        terminal.press(b"i", settle=0.5)  # back into the message field
        terminal.latency(b"Z", b"Z", timeout=60)  # it has focus (untimed)
        terminal.press(b"\x7f")
        results["readiness static checks running"] = summary(
            [s for s, _ in type_for(terminal, idle_seconds)]
        )
    return results

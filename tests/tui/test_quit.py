"""Quitting the real ``workbench`` TUI in a terminal: at once, with the store closed cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT
from workbench.core.serving import free_port

QUIT_KEYS = {"q": b"q", "ctrl+q": b"\x11"}


class Terminal:
    """``python -m workbench`` on a pseudo-terminal, its output collected as it comes."""

    def __init__(self, home: Path, collector_port: int) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = dict(
            os.environ,
            WORKBENCH_HOME=str(home),
            WORKBENCH_COLLECTOR_PORT=str(collector_port),
            TERM="xterm-256color",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbench"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def wait_for(self, condition, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the TUI exited early: {self.text()[-2000:]}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    def text(self) -> str:
        return bytes(self.output).decode("utf-8", "replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(10)  # what the process wrote last, up to end of file
        os.close(self.master)


def collector_answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(QUIT_KEYS))
@pytest.mark.parametrize("moment", ["as-it-opens", "collector-up"])
def test_quitting_stops_the_collector_and_closes_the_store(tmp_path, key, moment):
    """Right after the first frame (the collector may still be starting) or once it serves."""
    home, port = tmp_path / "home", free_port()
    terminal = Terminal(home, port)
    try:
        # The alternate screen is switched on with the first frame.
        terminal.wait_for(lambda: b"\x1b[?1049h" in terminal.output, "the first frame")
        if moment == "collector-up":
            terminal.wait_for(lambda: collector_answers(port), "the collector")
        os.write(terminal.master, QUIT_KEYS[key])
        code = terminal.process.wait(timeout=60)
    finally:
        terminal.close()
    text = terminal.text()
    assert code == 0, text[-2000:]
    assert "Traceback" not in text and "RuntimeError" not in text, text[-3000:]
    assert not collector_answers(port)
    db = home / "workbench.db"
    if db.exists():
        # Every connection closed (the collector's writer and checkpointer included): SQLite
        # removes the WAL file when the last one closes, and leaves it while one is open.
        assert not Path(f"{db}-wal").exists()
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

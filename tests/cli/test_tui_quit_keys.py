"""Keys typed while the app finishes closing reach neither the screen nor the shell."""

from __future__ import annotations

import os
import pty
import select
import sys
import termios

from workbench.cli.tui import typed_keys_dropped


def _pending(fd: int) -> bytes:
    """What can be read from ``fd`` right now."""
    data = b""
    while select.select([fd], [], [], 0.1)[0]:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        data += chunk
    return data


def test_keys_typed_while_closing_are_not_echoed_nor_left_for_the_shell(monkeypatch):
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "r")
    monkeypatch.setattr(sys, "stdin", terminal)
    try:
        before = termios.tcgetattr(slave)
        assert before[3] & termios.ECHO  # a terminal in its normal mode echoes
        with typed_keys_dropped():
            os.write(master, b"LEAK")
            assert _pending(master) == b""  # not echoed
        # The terminal's mode is back as it was, and nothing waits to be read by a shell.
        assert termios.tcgetattr(slave) == before
        os.set_blocking(slave, False)
        assert _pending(slave) == b""
        # Typed afterwards, keys are echoed and read again as usual.
        os.write(master, b"x\n")
        assert b"x" in _pending(master)
        assert _pending(slave) == b"x\n"
    finally:
        terminal.close()
        os.close(master)


def test_without_a_terminal_it_does_nothing(monkeypatch, tmp_path):
    path = tmp_path / "input"
    path.write_text("kept")
    with path.open() as not_a_terminal:
        monkeypatch.setattr(sys, "stdin", not_a_terminal)
        with typed_keys_dropped():
            pass
        assert not_a_terminal.read() == "kept"

"""Interrupting start-up: nothing waits for a start step or a child that is still importing."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.runner.stack import LocalStack
from workbench.core.runner.worker import Worker


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake project's children need no litellm."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def test_cancelling_a_start_does_not_wait_for_a_blocked_start_step(tmp_path: Path, monkeypatch):
    """A start step stuck in a litellm import must not hold up ``asyncio.run``'s exit (Ctrl-C
    cancels the main task; the default executor's threads would be joined)."""
    entered, release = threading.Event(), threading.Event()

    def stuck(self) -> None:
        entered.set()
        release.wait()

    monkeypatch.setattr(LocalStack, "_start_mock", stuck)
    stack = LocalStack(make_fake_project(tmp_path))

    async def interrupted_start() -> None:
        task = asyncio.create_task(stack.__aenter__())
        while not entered.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    runner = threading.Thread(target=asyncio.run, args=(interrupted_start(),), daemon=True)
    runner.start()
    runner.join(30)
    try:
        assert not runner.is_alive(), "asyncio.run waited for the blocked start step"
        assert stack.pool is not None and stack.pool.pids == []
    finally:
        release.set()


def test_closing_a_worker_that_is_still_starting_kills_it_at_once(tmp_path: Path):
    """A child that never reads stdin (it is importing) cannot stop by itself: no grace."""
    worker = Worker(
        [sys.executable, "-c", "import time; time.sleep(600)"], env=dict(os.environ), cwd=tmp_path
    )

    async def close_while_starting() -> None:
        start = asyncio.create_task(worker.start(timeout=600))
        while worker.process is None:
            await asyncio.sleep(0.01)
        start.cancel()  # as Ctrl-C cancels the pool's start
        with pytest.raises(asyncio.CancelledError):
            await start
        await asyncio.wait_for(worker.close(grace=600), 30)
        assert worker.process.returncode is not None

    asyncio.run(close_while_starting())

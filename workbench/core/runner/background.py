"""Blocking start-up work (imports of seconds, servers) in daemon threads, awaited from asyncio.

``asyncio.to_thread`` uses the loop's default executor, whose threads
``asyncio.run`` and the interpreter both join on exit: Ctrl-C during a
litellm import then waits for the import to finish (seconds). A daemon thread
is abandoned instead, so an interrupted command exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_daemon_thread(function: Callable[[], T], *, name: str = "workbench-start") -> T:
    """``function()`` run in a new daemon thread; its result, or its exception, when done."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the caller was cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # result is a T when no error

    def run() -> None:
        try:
            result, error = function(), None
        except BaseException as caught:  # handed to the awaiting task, which re-raises it
            result, error = None, caught
        # The loop may have closed while we ran (the command was interrupted).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future

"""A runner child's last act: export the spans its project still buffers, then exit.

Eval turns sent with ``"wait_for_trace": false`` return before their spans are exported,
so the child flushes them whenever it ends short of a crash: at the end of ``main``, on
SIGTERM (the workbench giving up on it) and when the workbench itself died.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


def flush_traces(entry: str, timeout: float = 1.0) -> None:
    """Export the spans the project still buffers, before the child exits.

    A turn sent with ``"wait_for_trace": false`` returns before its spans are exported; the
    project's batch exporter sends them later, and ``os._exit`` would drop what it still
    holds. This calls the entry module's optional ``flush_traces()`` (sync or async), then
    flushes the global OpenTelemetry provider (an adopted agent's); each within ``timeout``
    seconds, and a failure only loses those spans.
    """
    module = sys.modules.get(entry.partition(":")[0]) if entry else None
    hook = getattr(module, "flush_traces", None)
    if callable(hook):
        # In a thread, so a hook that hangs (a collector that never answers) costs at most
        # ``timeout``; the thread is a daemon and dies with the process.
        flushing = threading.Thread(
            target=_run_hook, args=(hook, timeout), name="runner-flush", daemon=True
        )
        flushing.start()
        flushing.join(timeout)
    otel = sys.modules.get("opentelemetry.trace")  # never imported here just to flush
    if otel is not None:
        with contextlib.suppress(Exception):
            force_flush = getattr(otel.get_tracer_provider(), "force_flush", None)
            if callable(force_flush):
                force_flush(int(timeout * 1000))


def _run_hook(hook: Callable[[], Any], timeout: float) -> None:
    with contextlib.suppress(Exception):
        value = hook()
        if inspect.isawaitable(value):
            asyncio.run(asyncio.wait_for(value, timeout))


def exit_flushed_on_sigterm(entry: str) -> None:
    """SIGTERM (the workbench stopping a child it gave up on) exports the project's buffered
    spans, then exits: turns that did not wait for their export lose nothing. A child that
    cannot run the handler (stuck in C code) is killed after the workbench's grace."""

    def handler(signum: int, _frame: Any) -> None:
        flush_traces(entry)
        # Die of the signal itself, so the workbench still reads "died (SIGTERM)".
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # (not reached: the default action ends the process)

    signal.signal(signal.SIGTERM, handler)

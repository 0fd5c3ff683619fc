"""The child process that runs a project's code: ``python -m workbench.core.runner.child``.

It imports the project's entry once, then serves turns from JSON lines on its
stdin, each as its own asyncio task, so one child runs many turns at once.
The protocol keeps the original stdout; anything the project prints (Python or
C level) goes to stderr instead, so it can never corrupt the protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import importlib
import importlib.util
import inspect
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from workbench.core.runner.exit_flush import exit_flushed_on_sigterm, flush_traces
from workbench.core.runner.protocol import decode, encode, one_line


def _take_protocol_fds() -> tuple[int, int]:
    """Keep stdin/stdout for the protocol; give the project /dev/null and stderr instead."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    sys.stdout.flush()
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _watch_parent(entry: str, interval: float = 0.5) -> None:
    """Exit when the workbench dies, even if the event loop is stuck in project code (the
    project's buffered spans exported first)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                flush_traces(entry)
                os._exit(1)

    threading.Thread(target=watch, name="runner-parent-watch", daemon=True).start()


def _send(fd: int, message: dict[str, Any]) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def preload(names: str) -> None:
    """Import the comma-separated modules that exist, so the first turn does not pay for them.

    Agents often import litellm lazily inside their first model call; it takes
    seconds, which belongs in the child's start, not in the first turn's latency.
    """
    for name in filter(None, (part.strip() for part in names.split(","))):
        with contextlib.suppress(Exception):
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)


def _warming(warm_up: Callable | None) -> Callable[[dict], Any]:
    """A turn-like function that runs ``warm_up`` and then warms the loaded model clients
    (``client_warm``); it says whether there was a ``warm_up`` and which clients it warmed."""

    async def warm(request: dict) -> dict:
        from workbench.core.runner.client_warm import warm_clients

        if warm_up is None:
            return {"warmed": False, "clients": warm_clients(request)}
        value = warm_up(request)
        if inspect.isawaitable(value):
            value = await value
        return {
            "warmed": True,
            "detail": value if isinstance(value, (dict, str)) else None,
            # After the project's own warm-up: it may import the clients this warms.
            "clients": warm_clients(request),
        }

    return warm


def find_warm_up(entry: str) -> Callable | None:
    """The entry module's ``warm_up(request)``, if it defines a callable one."""
    module = sys.modules.get(entry.partition(":")[0])
    warm_up = getattr(module, "warm_up", None)
    return warm_up if callable(warm_up) else None


def load_entry(entry: str) -> Callable[[dict], Any]:
    """The callable named by ``module:function``."""
    module_name, _, attribute = entry.partition(":")
    if not attribute:
        raise ValueError(f"[agent] entry {entry!r} must look like 'module:function'")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"[agent] entry {entry!r} is not callable")
    return function


def load_turn_function(args: argparse.Namespace) -> Callable[[dict], Any]:
    """The native turn function the child serves: the entry, or an adopted agent adapted."""
    if args.adapter == "native":
        return load_entry(args.entry)
    from workbench.core.runner.adapter import adapt

    if args.adapter == "http":
        from workbench.core.config import HttpAgentSection
        from workbench.core.runner.http_adapter import http_function

        return adapt(http_function(HttpAgentSection.model_validate_json(args.http)), args.name)
    return adapt(load_entry(args.entry), args.name)


async def _run_one(function: Callable, request_id: str, request: dict, out_fd: int) -> None:
    def fail(kind: str, message: str) -> None:
        _send(out_fd, {"op": "error", "id": request_id, "kind": kind, "message": message})

    try:
        value = function(request)
        if inspect.isawaitable(value):
            value = await value
    except asyncio.CancelledError:
        fail("cancelled", "cancelled")
        return
    except BaseException as error:  # project code may raise anything, even SystemExit
        fail("project_error", one_line(error))
        return
    if not isinstance(value, dict):
        fail("project_error", f"run_turn returned {type(value).__name__}, not a dict")
        return
    try:
        _send(out_fd, {"op": "result", "id": request_id, "result": value})
    except (TypeError, ValueError) as error:
        fail("project_error", f"run_turn returned a result that is not JSON: {one_line(error)}")


async def serve(
    function: Callable, in_fd: int, out_fd: int, warm_up: Callable | None = None
) -> None:
    """Run turns until stdin closes, then cancel whatever is still running.

    ``{"op": "warm"}`` calls the entry module's optional ``warm_up(request)`` (it loads what
    a turn with that request would, without calling the model); without one it is a no-op.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(in_fd, "rb", buffering=0)
    )
    tasks: dict[str, asyncio.Task] = {}
    while line := await reader.readline():
        message = decode(line)
        if message is None:
            continue
        request_id = str(message.get("id", ""))
        if message["op"] in ("run", "warm"):
            target = _warming(warm_up) if message["op"] == "warm" else function
            task = loop.create_task(_run_one(target, request_id, message["request"], out_fd))
            tasks[request_id] = task

            def forget(_done: asyncio.Task, rid: str = request_id) -> None:
                tasks.pop(rid, None)

            task.add_done_callback(forget)
        elif message["op"] == "cancel" and request_id in tasks:
            tasks[request_id].cancel()
    for task in list(tasks.values()):
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)


def main(argv: list[str] | None = None) -> None:
    """Import the entry named on the command line and serve turns."""
    parser = argparse.ArgumentParser(prog="workbench.core.runner.child")
    parser.add_argument("--entry", default="")
    parser.add_argument("--src", action="append", default=[])
    # Adopted projects (docs/adopt.md): "function" or "http" (with --http, its JSON settings).
    parser.add_argument("--adapter", default="native", choices=["native", "function", "http"])
    parser.add_argument("--http", default="")
    parser.add_argument("--name", default="agent")
    args = parser.parse_args(argv)
    in_fd, out_fd = _take_protocol_fds()
    # The workbench owns Ctrl-C: it cancels turns and stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.enable()
    # Only a native entry module's flush_traces is the workbench's hook; an adopted agent's
    # module may define one of its own meaning.
    hook_entry = args.entry if args.adapter == "native" else ""
    _watch_parent(hook_entry)
    exit_flushed_on_sigterm(hook_entry)
    for folder in reversed(args.src):
        sys.path.insert(0, folder)
    try:
        function = load_turn_function(args)
    except BaseException as error:
        what = args.entry or f"the {args.adapter} adapter"
        _send(out_fd, {"op": "fatal", "message": f"cannot import {what}: {one_line(error)}"})
        sys.stderr.flush()
        os._exit(3)
    preload(os.environ.get("WORKBENCH_RUNNER_PRELOAD", "litellm"))
    _send(out_fd, {"op": "ready", "pid": os.getpid()})
    warm_up = find_warm_up(args.entry) if args.adapter == "native" else None
    asyncio.run(serve(function, in_fd, out_fd, warm_up))
    flush_traces(hook_entry)
    sys.stderr.flush()
    # Project threads (exporters, pools) must not keep a finished child alive.
    os._exit(0)


if __name__ == "__main__":
    main()

"""One runner child seen from the workbench: start it, send it turns, route replies, kill it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from workbench.core.runner.protocol import decode, encode
from workbench.errors import WorkbenchError

# The longest protocol line (one reply) the workbench reads.
MAX_LINE = 1 << 26
# Seconds a child may take to export its buffered spans and exit on SIGTERM (its own
# flush is bounded at about 2 s) before it is killed.
TERM_GRACE = 2.5


class WorkerStartError(WorkbenchError):
    """The project's code could not be started in a child (usually an import error)."""


class WorkerDied(Exception):
    """A child's turn ended because the child exited or was killed; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker process stopped"
    if code < 0:
        try:
            return f"the worker process died ({signal.Signals(-code).name})"
        except ValueError:
            return f"the worker process died (signal {-code})"
    return f"the worker process exited with code {code}"


class Worker:
    """A long-lived child process that runs turns concurrently; replies resolve futures."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        name: str = "worker",
        stderr_log: Path | None = None,
        echo_stderr: bool = False,
    ) -> None:
        self.argv, self.env, self.cwd, self.name = argv, env, cwd, name
        self.stderr_log, self.echo_stderr = stderr_log, echo_stderr
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.recent_stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._tasks: list[asyncio.Task] = []
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._death_reason: str | None = None

    @property
    def alive(self) -> bool:
        """Whether the child is running and has imported the project's entry."""
        return (
            self.process is not None
            and self.process.returncode is None
            and self._death_reason is None
            and self._ready is not None
            and self._ready.done()
            and not self._ready.exception()
        )

    @property
    def pid(self) -> int | None:
        """The child's process id, while there is one."""
        return self.process.pid if self.process else None

    async def start(self, timeout: float = 120.0) -> None:
        """Spawn the child and wait until it has imported the entry; raise ``WorkerStartError``."""
        loop = asyncio.get_running_loop()
        if self.process is not None:
            await self._reap(self.process)
        self._death_reason = None
        self._ready = loop.create_future()
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=str(self.cwd),
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group: Ctrl-C reaches only the workbench, which stops the
            # child itself, and a kill takes the project's own subprocesses with it.
            start_new_session=True,
            limit=MAX_LINE,
        )
        self._tasks = [
            loop.create_task(self._read_protocol(self.process)),
            loop.create_task(self._read_stderr(self.process)),
        ]
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError:
            await self.kill("start timed out")
            raise WorkerStartError(
                f"the project's code did not start within {timeout:g} s"
            ) from None
        except WorkerDied as died:
            await self.kill(died.message)
            raise WorkerStartError(died.message) from None

    def submit(
        self, request_id: str, request: dict[str, Any], op: str = "run"
    ) -> asyncio.Future[dict[str, Any]]:
        """Send a turn (or a ``warm`` up); the future resolves with the child's reply or fails
        with ``WorkerDied``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        # A turn abandoned by its caller must not log "exception was never retrieved".
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        if not self.alive:
            future.set_exception(WorkerDied(self._death_reason or "the worker is not running"))
            return future
        self.pending[request_id] = future
        self._write({"op": op, "id": request_id, "request": request})
        return future

    def cancel(self, request_id: str) -> None:
        """Ask the child to cancel a turn's task (it cannot if its event loop is blocked)."""
        if self.alive and request_id in self.pending:
            self._write({"op": "cancel", "id": request_id})

    def terminate(self) -> None:
        """Send SIGTERM to the child's process group now, without waiting (quitting).

        The project may clean up; ``close`` or ``kill`` reaps it, with SIGKILL if needed.
        """
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)

    async def kill(self, reason: str) -> None:
        """Kill the child and its process group; every pending turn fails with ``reason``."""
        self._fail_pending(reason)
        if self.process is not None:
            await self._reap(self.process)

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        """Make sure ``process`` is dead and its readers are done, before a restart.

        SIGTERM first: the child exports the spans its project still buffers (turns that
        did not wait for their export) and exits; SIGKILL after ``TERM_GRACE`` seconds.
        """
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(process.wait()), TERM_GRACE)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        await self._finish_tasks()

    async def close(self, grace: float = 3.0) -> None:
        """Close the child's stdin so it stops by itself; kill it after ``grace`` seconds."""
        process = self.process
        if process is None:
            return
        # A child still importing (seconds, for litellm) reads stdin only afterwards: it has
        # no turn to finish, so it is killed at once rather than after ``grace``.
        starting = self._ready is None or not self._ready.done()
        self._fail_pending("the worker pool was closed")
        if not starting and process.returncode is None and process.stdin is not None:
            with contextlib.suppress(Exception):
                process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), grace)
        await self.kill("the worker pool was closed")

    def _write(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        # If the child is gone, its reader reports the death; the write can be dropped.
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.process.stdin.write(encode(message))

    def _fail_pending(self, reason: str) -> None:
        if self._death_reason is None:
            self._death_reason = reason
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(WorkerDied(reason))
            self._ready.exception()  # mark retrieved
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerDied(reason))

    async def _read_protocol(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            await self._route_replies(process.stdout)
        except (ValueError, asyncio.LimitOverrunError):
            # A reply longer than MAX_LINE: the stream cannot be resynchronised.
            self._fail_pending(
                f"the worker sent a reply longer than {MAX_LINE:,} bytes and was restarted"
            )
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        code = await process.wait()
        # Let the stderr reader catch up, so the reason can quote the child's last words.
        if len(self._tasks) > 1:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._tasks[1]), 1.0)
        if process is not self.process:
            return  # a restart replaced it; its death is old news
        reason = _describe_exit(code)
        last = self._last_error_line()
        self._fail_pending(f"{reason}; last output: {last}" if last else reason)

    async def _route_replies(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            message = decode(line)
            if message is None:
                continue
            op = message["op"]
            if op in ("result", "error"):
                future = self.pending.pop(str(message.get("id")), None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif op == "ready" and self._ready is not None and not self._ready.done():
                self._ready.set_result(message)
            elif op == "fatal":
                self._fail_pending(str(message.get("message", "the project's code failed")))

    async def _read_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        log = self.stderr_log.open("a", encoding="utf-8") if self.stderr_log else None
        try:
            while line := await process.stderr.readline():
                text = line.decode("utf-8", "replace").rstrip()
                self.recent_stderr.append(text)
                if log is not None:
                    log.write(text + "\n")
                if self.echo_stderr:
                    print(text, file=sys.stderr)
        finally:
            if log is not None:
                log.close()

    def _last_error_line(self) -> str:
        for text in self.recent_stderr:
            if text.startswith("Fatal Python error"):
                return text.strip()[:300]
        for text in reversed(self.recent_stderr):
            if text.strip() and not text.startswith((" ", "\t", "Traceback", "Current thread")):
                return text.strip()[:300]
        return ""

    async def _finish_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 2.0)

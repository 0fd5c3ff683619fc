"""A pool of long-lived children that run a project's turns concurrently, and survive its faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

from workbench import locations
from workbench.core.projects import Project
from workbench.core.runner.env import child_argv, child_env
from workbench.core.runner.protocol import ErrorKind, TurnOutcome
from workbench.core.runner.worker import Worker, WorkerDied, WorkerStartError

_MAX_LOG_BYTES = 20 * 1024 * 1024


class WorkerPool:
    """Run turns of ``project``'s ``[agent] entry`` in ``size`` child processes.

    Each child runs many turns at once (one asyncio task each); a turn goes to the
    least busy live child. A child that crashes fails only its in-flight turns
    (``crash``) and is restarted for later ones. A turn past its timeout is
    cancelled inside its child; if the child does not answer (project code
    blocking its event loop), the child is killed and restarted.
    """

    def __init__(
        self,
        project: Project,
        *,
        size: int = 1,
        env: dict[str, str] | None = None,
        turn_timeout: float = 120.0,
        otlp_endpoint: str | None = None,
        cancel_grace: float = 2.0,
        start_timeout: float = 120.0,
        stderr_log: Path | None = None,
        echo_stderr: bool = False,
    ) -> None:
        self.project = project
        self.turn_timeout = turn_timeout
        self.cancel_grace = cancel_grace
        self.start_timeout = start_timeout
        if stderr_log is None:
            stderr_log = locations.home() / "logs" / f"runner-{project.name}.log"
        stderr_log.parent.mkdir(parents=True, exist_ok=True)
        if stderr_log.is_file() and stderr_log.stat().st_size > _MAX_LOG_BYTES:
            stderr_log.unlink()  # keep the log of chatty projects from growing forever
        environment = child_env(project, otlp_endpoint=otlp_endpoint, extra=env)
        self.workers = [
            Worker(
                child_argv(project),
                env=environment,
                cwd=project.path,
                name=f"{project.name}-{index}",
                stderr_log=stderr_log,
                echo_stderr=echo_stderr,
            )
            for index in range(max(1, size))
        ]
        self._restarts: dict[int, asyncio.Task[None]] = {}
        self._running: dict[str, tuple[asyncio.Future[None], asyncio.Future[None]]] = {}
        self._closed = False

    async def start(self) -> None:
        """Start every child; raises ``WorkerStartError`` (one line) if the project cannot start."""
        results = await asyncio.gather(
            *(worker.start(self.start_timeout) for worker in self.workers), return_exceptions=True
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            await self.close()
            raise errors[0]

    @property
    def pids(self) -> list[int]:
        """Process ids of the live children."""
        return [worker.pid for worker in self.workers if worker.alive and worker.pid]

    async def run(
        self,
        request: dict[str, Any],
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> TurnOutcome:
        """Run one turn and say how it ended; never raises for faults of the project's code."""
        request_id = request_id or uuid.uuid4().hex
        started = time.perf_counter()
        if self._closed:
            return self._outcome(request_id, started, None, "cancelled", "the pool is closed")
        try:
            worker = await self._pick()
        except WorkerStartError as error:
            return self._outcome(request_id, started, None, "crash", error.message)
        pid = worker.pid
        loop = asyncio.get_running_loop()
        stop, finished = loop.create_future(), loop.create_future()
        self._running[request_id] = (stop, finished)
        reply = worker.submit(request_id, request)
        limit = self.turn_timeout if timeout is None else timeout
        try:
            done, _ = await asyncio.wait(
                (reply, stop), timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
            if reply in done:
                message = self._reply(reply)
                if self._closed and message.get("kind") == "crash":
                    # Closing the pool ended the turn; the project's code did not crash.
                    message = {**message, "kind": "cancelled"}
            elif stop in done:
                message = await self._stop(worker, request_id, reply, "cancelled", "cancelled")
            else:
                why = f"the turn took longer than {limit:g} s"
                message = await self._stop(worker, request_id, reply, "timeout", why)
        except asyncio.CancelledError:
            await asyncio.shield(
                self._stop(worker, request_id, reply, "cancelled", "cancelled", grace=0.5)
            )
            raise
        finally:
            self._running.pop(request_id, None)
            if not finished.done():
                finished.set_result(None)
        if message.get("op") == "result":
            return TurnOutcome(
                request_id=request_id,
                result=message.get("result"),
                wall_ms=(time.perf_counter() - started) * 1000,
                worker_pid=pid,
            )
        kind = message.get("kind", "protocol")
        if kind not in ("crash", "timeout", "cancelled", "protocol", "project_error"):
            kind = "protocol"
        return self._outcome(request_id, started, pid, kind, str(message.get("message", "")))

    async def warm_up(self, request: dict[str, Any], timeout: float = 60.0) -> list[str]:
        """Ask every live child to load what a turn with ``request`` would (the entry module's
        optional ``warm_up``); the problems, one line each (a failed warm-up only costs the
        first turn its time, so it never fails the pool)."""

        async def one(worker: Worker) -> str | None:
            reply = worker.submit(uuid.uuid4().hex, request, op="warm")
            try:
                message = await asyncio.wait_for(asyncio.shield(reply), timeout)
            except TimeoutError:
                return f"the warm-up took longer than {timeout:g} s"
            except WorkerDied as died:
                return died.message
            return None if message.get("op") == "result" else str(message.get("message"))

        live = [worker for worker in self.workers if worker.alive]
        problems = await asyncio.gather(*(one(worker) for worker in live))
        return [problem for problem in problems if problem]

    async def cancel(self, request_id: str) -> bool:
        """Cancel a running turn and wait until it has stopped; ``False`` if it is not running."""
        entry = self._running.get(request_id)
        if entry is None:
            return False
        stop, finished = entry
        if not stop.done():
            stop.set_result(None)
        await asyncio.shield(finished)
        return True

    async def close(self, grace: float = 3.0) -> None:
        """Stop every child (killed if it has not exited ``grace`` seconds after its stdin
        closed); turns still running end as ``cancelled``."""
        self._closed = True
        for task in self._restarts.values():
            task.cancel()
        await asyncio.gather(*self._restarts.values(), return_exceptions=True)
        await asyncio.gather(*(worker.close(grace) for worker in self.workers))

    def terminate(self) -> None:
        """SIGTERM every child's process group now (quitting); ``close`` then reaps them."""
        for worker in self.workers:
            worker.terminate()

    async def __aenter__(self) -> WorkerPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _pick(self) -> Worker:
        live = [worker for worker in self.workers if worker.alive]
        for index, worker in enumerate(self.workers):
            if not worker.alive:
                self._restart(index)
        if live:
            return min(live, key=lambda worker: len(worker.pending))
        index = next(iter(self._restarts))
        await asyncio.shield(self._restarts[index])
        return self.workers[index]

    def _restart(self, index: int) -> asyncio.Task[None]:
        task = self._restarts.get(index)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(
                self.workers[index].start(self.start_timeout)
            )
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._restarts[index] = task
        return task

    async def _stop(
        self,
        worker: Worker,
        request_id: str,
        reply: asyncio.Future[dict[str, Any]],
        kind: ErrorKind,
        why: str,
        grace: float | None = None,
    ) -> dict[str, Any]:
        """Cancel a turn in its child; kill the child if it does not answer in time."""
        if not reply.done():
            worker.cancel(request_id)
            with contextlib.suppress(TimeoutError, WorkerDied):
                await asyncio.wait_for(asyncio.shield(reply), grace or self.cancel_grace)
        if reply.done():
            message = self._reply(reply)
            if message.get("op") == "result" or message.get("kind") != "cancelled":
                return message
            return {"op": "error", "kind": kind, "message": why}
        worker.pending.pop(request_id, None)
        await worker.kill(
            f"the worker was killed because turn {request_id} did not respond to "
            "cancellation (its code blocks the event loop); this turn shared that worker"
        )
        return {
            "op": "error",
            "kind": kind,
            "message": f"{why}; the worker did not respond to cancellation and was killed",
        }

    @staticmethod
    def _reply(reply: asyncio.Future[dict[str, Any]]) -> dict[str, Any]:
        error = reply.exception()
        if isinstance(error, WorkerDied):
            return {"op": "error", "kind": "crash", "message": error.message}
        if error is not None:
            return {"op": "error", "kind": "protocol", "message": str(error)}
        return reply.result()

    @staticmethod
    def _outcome(
        request_id: str, started: float, pid: int | None, kind: ErrorKind, message: str
    ) -> TurnOutcome:
        return TurnOutcome(
            request_id=request_id,
            error_kind=kind,
            message=message,
            wall_ms=(time.perf_counter() - started) * 1000,
            worker_pid=pid,
        )

"""The local stack for running turns: a collector, the mock (unless a real model), a worker pool.

``LocalStack`` keeps everything alive across turns (the TUI's chat reuses one);
``run_single_turn`` opens one, runs one turn, waits for its trace and closes it.
Choosing the model (``target``), the model side (``model_side``) and the turn's report
(``turn_report``) live in their own modules; their names are importable from here too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from workbench import locations
from workbench.core.projects import Project
from workbench.core.runner.background import in_daemon_thread
from workbench.core.runner.errors import explain_model_error
from workbench.core.runner.fingerprint import project_fingerprint
from workbench.core.runner.model_side import (
    cassette_miss,
    check_model,
    start_recorder,
    start_rules_or_replay,
    turn_request,
)
from workbench.core.runner.phases import (
    CHECK,
    COLLECTOR,
    IMPORT,
    MOCK,
    RECORDER,
    REPLAY,
    RESTART,
    STOP,
    TRACE,
    TURN,
    WARM,
    Phases,
)
from workbench.core.runner.pool import WorkerPool
from workbench.core.runner.target import MOCK_SOURCES, Target, choose_target
from workbench.core.runner.turn_report import TurnReport, wait_for_trace
from workbench.core.serving import RunningServer, free_port, port_in_use
from workbench.settings import get_settings

if TYPE_CHECKING:
    from workbench.core.mock.server import MockServer

__all__ = [
    "MOCK_SOURCES",
    "LocalStack",
    "Target",
    "TurnReport",
    "choose_target",
    "run_single_turn",
    "wait_for_trace",
]

Running = TypeVar("Running", bound=RunningServer)


class LocalStack:
    """Collector + mock + a worker pool for ``project``, started together, stopped together."""

    def __init__(
        self,
        project: Project,
        *,
        model: str | None = None,
        variant: str | None = None,
        timeout: float = 120.0,
        pool_size: int = 1,
        echo_stderr: bool = False,
        api_base: str | None = None,
        record: bool = False,
        api_key_env: str | None = None,
        phases: Phases | None = None,
    ) -> None:
        self.project = project
        self.target = choose_target(
            project,
            model=model,
            variant=variant,
            api_base=api_base,
            record=record,
            api_key_env=api_key_env,
        )
        self.timeout = timeout
        self.pool_size = pool_size
        self.echo_stderr = echo_stderr
        self.collector: RunningServer | None = None
        self.otlp_endpoint = ""
        self.mock: MockServer | None = None
        self.pool: WorkerPool | None = None
        # What the stack is doing (starting, running a turn), for front ends to show.
        self.phases = phases or Phases()
        # The store this stack's private collector writes to, fixed now: a start abandoned by
        # Ctrl-C finishes in a daemon thread, and must not follow a later change of home.
        self.db_path = locations.db_path()
        self.code_fingerprint: tuple[int, int, int] | None = None
        self._closed = False

    async def __aenter__(self) -> LocalStack:
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _start(self) -> None:
        """Start the child, the collector and the model side at once, each as a phase.

        Where the spans go is settled first, without waiting for a collector to
        start: a private collector's port is chosen before it listens, so the child
        (seconds of imports) is spawned right away. Blocking steps (litellm imports)
        run in daemon threads, so Ctrl-C need not wait for them.
        """
        private_port = await in_daemon_thread(self._choose_collector)
        self.pool = self._new_pool()
        starts = [self._start_pool(IMPORT), self._start_model_side()]
        if private_port:
            starts.append(self._in_phase(COLLECTOR, lambda: self._start_collector(private_port)))
        results = await asyncio.gather(*starts, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _new_pool(self) -> WorkerPool:
        self.code_fingerprint = project_fingerprint(self.project)
        return WorkerPool(
            self.project,
            size=self.pool_size,
            turn_timeout=self.timeout,
            otlp_endpoint=self.otlp_endpoint,
            echo_stderr=self.echo_stderr,
        )

    async def _in_phase(self, phase: str, step: Callable[[], object]) -> None:
        with self.phases.during(phase):
            await in_daemon_thread(step)

    async def _start_pool(self, phase: str) -> None:
        assert self.pool is not None
        with self.phases.during(phase):
            await self.pool.start()

    async def _start_model_side(self) -> None:
        """The mock (rules or replay), the recorder, or a check of the real model."""
        source = self.target.source
        if source in MOCK_SOURCES:
            await self._in_phase(MOCK if source == "mock" else REPLAY, self._start_mock)
        elif source == "record":
            await self._in_phase(RECORDER, self._start_recorder)
        else:
            await self._in_phase(CHECK, self._check_model)

    def _choose_collector(self) -> int | None:
        """Use this home's collector on the configured port if it runs there; otherwise the
        port a private collector will listen on (returned, and already in ``otlp_endpoint``)."""
        settings = get_settings()
        host, port = settings.collector_host, settings.collector_port
        # Nothing listening there (the usual ``workbench run``) needs no health check, whose
        # imports would delay the child's spawn.
        if port_in_use(host, port):
            from workbench.core.collector import collector_running

            if collector_running(host, port):
                self.otlp_endpoint = f"http://{host}:{port}"
                return None
        private = free_port("127.0.0.1")
        self.otlp_endpoint = f"http://127.0.0.1:{private}"
        return private

    def _start_collector(self, port: int | None = None) -> None:
        """A private collector on ``port`` (default: settle where spans go, and start one only
        if this home's collector is not running on the configured port)."""
        from workbench.core.collector import start_collector

        if port is None:
            port = self._choose_collector()
            if port is None:
                return
        # No decode worker process: a stack's turns send small exports, which the receiver
        # decodes itself; starting a worker would compete with the child's imports.
        self.collector = self._keep(
            start_collector(host="127.0.0.1", port=port, db_path=self.db_path, workers=0)
        )

    @property
    def code_changed(self) -> bool:
        """Whether the project's code or settings changed since its child started."""
        return project_fingerprint(self.project) != self.code_fingerprint

    async def restart_child(self) -> None:
        """Start a fresh child (the project's code changed); the mock and collector stay."""
        assert self.pool is not None, "use LocalStack as an async context manager"
        await self.pool.close()
        self.pool = self._new_pool()
        await self._start_pool(RESTART)

    async def retarget(self, *, model: str | None, variant: str | None) -> None:
        """Run later turns with another model or variant, keeping the warm child.

        The child does not depend on the model (each turn's request names it):
        only the model side (mock, recorder, model check) changes.
        """
        target = choose_target(self.project, model=model, variant=variant)
        if target == self.target:
            return
        old_mock, self.mock = self.mock, None
        if old_mock is not None:
            await in_daemon_thread(old_mock.stop)
        self.target = target
        await self._start_model_side()

    async def warm_up(self) -> list[str]:
        """Have the child load what this stack's turns need (the entry module's optional
        ``warm_up(request)``, given the request a turn would send, without its input), so a
        first turn costs what later ones do. Returns the problems; a failed warm-up only
        leaves the first turn slower."""
        if self.pool is None:
            return []
        request = self.request("", session_id="warm-up")
        request.pop("input", None)
        with self.phases.during(WARM):
            return await self.pool.warm_up(request)

    def terminate(self) -> None:
        """Send SIGTERM to every child's process group now (quitting); ``close`` reaps them."""
        if self.pool is not None:
            self.pool.terminate()

    def _keep(self, server: Running) -> Running:
        """``server``, or stopped at once if the stack closed while it started."""
        if self._closed:
            server.stop()
        return server

    def _check_model(self) -> None:
        check_model(self.project, self.target)

    def _start_recorder(self) -> None:
        self.mock = self._keep(start_recorder(self.project, self.target))

    def _start_mock(self) -> None:
        self.mock = self._keep(start_rules_or_replay(self.project, self.target))

    def request(self, text: str, *, session_id: str) -> dict[str, Any]:
        """The turn request for ``text`` with this stack's variant and model."""
        return turn_request(self.target, self.mock, text, session_id=session_id)

    async def turn(self, text: str, *, session_id: str | None = None) -> TurnReport:
        """Run one turn, wait for its trace to be stored, explain a failure in one line."""
        assert self.pool is not None, "use LocalStack as an async context manager"
        session_id = session_id or uuid.uuid4().hex[:16]
        request = self.request(text, session_id=session_id)
        with self.phases.during(TURN):
            outcome = await self.pool.run(request)
        result = outcome.result or {}
        trace = None
        if result.get("trace_id"):
            trace_id = str(result["trace_id"])
            with self.phases.during(TRACE):
                trace = await in_daemon_thread(lambda: wait_for_trace(trace_id))
        error = None
        if not outcome.ok:
            error = f"the agent's turn failed ({outcome.error_kind}): {outcome.message}"
        elif result.get("status") == "error":
            error = cassette_miss(self.target, self.mock)
            if error is None:
                error = explain_model_error(
                    self._shown_model(request), str(result.get("error") or "")
                )
                if self.target.source in MOCK_SOURCES:
                    error += f" [{self.target.source}]"
        return TurnReport(
            project=self.project.name,
            variant=self.target.variant,
            model=self._shown_model(request, result),
            model_source=self.target.source,
            session_id=str(result.get("session_id") or session_id),
            outcome=outcome,
            trace=trace,
            error=error,
        )

    def _shown_model(self, request: dict[str, Any], result: dict | None = None) -> str:
        # When recording, the agent talks to the mock; the model that answers is the real one.
        if self.target.source == "record":
            return self.target.model
        return str((result or {}).get("model") or request["model"])

    async def close(self, grace: float = 3.0) -> None:
        """Stop the pool (a child still running ``grace`` s after being asked is killed), the
        mock and the collector this stack started."""
        self._closed = True
        with self.phases.during(STOP):
            # All at once: each waits on its own thread or process (uvicorn's exit, the
            # collector's last write, the child's exit), none needs another stopped first.
            stops = [
                in_daemon_thread(server.stop) for server in (self.mock, self.collector) if server
            ]
            if self.pool is not None:
                stops.append(self.pool.close(grace))
            self.mock = self.collector = None
            results = await asyncio.gather(*stops, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result


async def run_single_turn(
    project: Project,
    text: str,
    *,
    model: str | None = None,
    variant: str | None = None,
    session_id: str | None = None,
    timeout: float = 120.0,
    echo_stderr: bool = False,
    api_base: str | None = None,
    record: bool = False,
    api_key_env: str | None = None,
    phases: Phases | None = None,
) -> TurnReport:
    """Open a stack, run one turn, close the stack (``phases`` hears what it is doing)."""
    stack = LocalStack(
        project,
        model=model,
        variant=variant,
        timeout=timeout,
        echo_stderr=echo_stderr,
        api_base=api_base,
        record=record,
        api_key_env=api_key_env,
        phases=phases,
    )
    async with stack:
        return await stack.turn(text, session_id=session_id)

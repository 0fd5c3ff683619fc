"""A project's runner kept warm: started when the project is opened, ready for its first turn.

Starting a runner costs seconds (the child imports the project and litellm, the
mock starts). A front end that knows which project the user is looking at calls
``WarmRunner.warm`` then, so by the time the first message is sent the runner is
up; ``take`` hands it over (waiting for a start still going on), switching model
or variant without a new child, and restarting the child if the project's code
changed since it was imported. One project is kept warm at a time: a warm child
holds the project's imports and litellm (a few hundred MB).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.projects import Project
from workbench.core.runner.phases import Phases

# Builds a runner: ``LocalStack(project, model=..., variant=...)`` or a fake in tests. A runner
# is started by ``__aenter__`` and stopped by ``close``; ``retarget``, ``restart_child``,
# ``code_changed``, ``terminate`` and ``phases`` are used when it has them.
RunnerFactory = Callable[..., Any]
Options = tuple[str | None, str | None]


def default_options(project: Project) -> Options:
    """The model and variant a first turn uses unless the user picks others: the variant
    ``baseline`` when declared (its model, else the mock), else the project as deployed."""
    return None, "baseline" if "baseline" in project.config.variants else None


class WarmRunner:
    """At most one project's runner, started ahead of use on the caller's event loop."""

    def __init__(self, factory: RunnerFactory) -> None:
        self.factory = factory
        self.runner: Any = None
        self.path: Path | None = None
        self.options: Options | None = None
        self._start: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def phases(self) -> Phases | None:
        """What the runner is doing (starting, restarting), or None before any start."""
        return getattr(self.runner, "phases", None)

    @property
    def starting(self) -> bool:
        """Whether a start is going on."""
        return self._start is not None and not self._start.done()

    @property
    def start_error(self) -> str | None:
        """Why the last background start failed (nobody has asked for the runner since)."""
        start = self._start
        if start is None or not start.done() or start.cancelled():
            return None
        error = start.exception()
        return (getattr(error, "message", None) or str(error)) if error is not None else None

    def warm(self, project: Project, *, model: str | None = None, variant: str | None = None):
        """Start ``project``'s runner in the background (call on the event loop), unless it is
        already started or starting; another project's runner is closed."""
        if self.path == project.path and self.runner is not None:
            return
        self._begin(project, (model, variant))

    async def take(self, project: Project, *, model: str | None, variant: str | None) -> Any:
        """``project``'s runner for these options, started; a failed start raises its error
        (and the next ``take`` tries again)."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            options = (model, variant)
            start = self._start
            # A background start that failed before anyone asked is tried again: the user
            # may have fixed the project since; its error would be stale.
            failed = start is not None and start.done() and (start.cancelled() or start.exception())
            if self.path != project.path or self.runner is None or failed:
                self._begin(project, options)
            assert self._start is not None
            try:
                await asyncio.shield(self._start)
            except asyncio.CancelledError:
                raise
            except BaseException:
                self._forget()
                raise
            runner = self.runner
            if options != self.options:
                if hasattr(runner, "retarget"):
                    await runner.retarget(model=model, variant=variant)
                    self.options = options
                    await _warm_up(runner)
                else:
                    self._begin(project, options)
                    await asyncio.shield(self._start)
                    runner = self.runner
            if getattr(runner, "code_changed", False):
                await runner.restart_child()
                await _warm_up(runner)
            return runner

    def terminate(self) -> None:
        """SIGTERM the runner's children now (the app is quitting); ``close`` reaps them."""
        terminate = getattr(self.runner, "terminate", None)
        if terminate is not None:
            terminate()

    async def close(self, grace: float = 3.0) -> None:
        """Stop the runner (a start in progress too) and any being closed."""
        start, runner = self._start, self.runner
        self._forget()
        if start is not None and not start.done():
            start.cancel()
            with contextlib.suppress(BaseException):
                await start
        if runner is not None:
            await _close(runner, grace)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _begin(self, project: Project, options: Options) -> None:
        """Replace the runner with a new one for ``project`` and start it in a task."""
        old_start, old = self._start, self.runner
        self._forget()
        if old_start is not None and not old_start.done():
            old_start.cancel()
        if old is not None:
            task = asyncio.get_running_loop().create_task(_close(old, 3.0))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        model, variant = options
        runner = self.factory(project, model=model, variant=variant)
        self.runner, self.path, self.options = runner, project.path, options
        self._start = asyncio.get_running_loop().create_task(_enter(runner))
        # A warm start nobody takes must not log "exception was never retrieved".
        self._start.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _forget(self) -> None:
        self.runner = self.path = self.options = self._start = None


async def _enter(runner: Any) -> None:
    await runner.__aenter__()
    await _warm_up(runner)


async def _warm_up(runner: Any) -> None:
    """The runner's child loads what its turns need, when the runner can (``LocalStack``)."""
    warm_up = getattr(runner, "warm_up", None)
    if warm_up is not None:
        await warm_up()


async def _close(runner: Any, grace: float) -> None:
    close = runner.close
    # Closing is best effort: the runner's own errors were reported when it ran.
    with contextlib.suppress(Exception):
        if inspect.signature(close).parameters:
            await close(grace)
        else:  # a runner whose close takes no grace (a test's fake)
            await close()

"""A live eval run: the engine on its own loop in a worker thread, and the progress line it feeds.

The engine reports through the progress protocol (``workbench.core.evals.progress``).
Results arrive far faster than a screen can redraw, so they never queue as
messages: each replaces the latest ``Counts``, which the line draws on a timer.
Only the start and the end of a run are posted as messages.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from textual.app import RenderResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from workbench.core.evals.engine import TurnRunner
from workbench.core.evals.progress import (
    Counts,
    ProgressEvent,
    RateLimited,
    ResultRecorded,
    RunFinished,
    RunStarted,
)
from workbench.core.projects import Project
from workbench.tui.modals.start_eval import StartRequest

TurnRunnerFactory = Callable[[Project], TurnRunner | None]
_BAR = 20


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def progress_content(
    run_id: str,
    counts: Counts,
    status: str,
    note: str = "",
    resumed: bool = False,
    since_s: float = 0.0,
) -> Content:
    """One line: bar, done/total, pass rate so far, spend so far, and the ETA or the time taken.

    A resumed run's figures are the whole run's: the results from before count too. The
    ETA counts down for ``since_s``, the seconds since ``counts``; once it is spent with
    results still owed (the slowest turns come last) the line says how many are left and
    how long the run has taken so far, which keeps ticking.
    """
    share = counts.done / counts.total if counts.total else 1.0
    filled = round(share * _BAR)
    rate = "–" if counts.pass_rate is None else f"{counts.pass_rate:.0%}"
    figures = f" {counts.done}/{counts.total} · pass {rate} · ${counts.spend_usd:.4f}"
    if status == "running":
        head = ("▶ Resumed " if resumed else "▶ Running ", "bold $text-warning")
        left = None if counts.eta_s is None else counts.eta_s - since_s
        if left is None:
            tail = " · ETA – · x cancels"
        elif left >= 0.5 or counts.done >= counts.total:
            tail = f" · ETA {_duration(max(0.0, left))} · x cancels"
        else:
            owed = counts.total - counts.done
            taken = _duration(counts.elapsed_s + since_s)
            tail = f" · {owed} left, ETA passed · {taken} so far · x cancels"
    else:
        style = "$text-success" if status == "complete" else "$text-error"
        head = (f"{'✓' if status == 'complete' else '■'} Run {status} ", f"bold {style}")
        tail = f" · {_duration(counts.elapsed_s)}"
    return Content.assemble(
        head,
        (run_id, "bold"),
        " ",
        ("█" * filled, "$primary"),
        ("░" * (_BAR - filled), "$text-muted"),
        figures,
        tail,
        (f" · {note}", "$text-warning") if note else "",
    )


def starting_content(set_name: str, phase: str, elapsed_s: float) -> Content:
    """The line shown from the moment a run is asked for until its first result is counted."""
    return Content.assemble(
        ("◌ Starting ", "bold $text-warning"),
        (set_name, "bold"),
        f" · {phase} · {_duration(elapsed_s)} · x cancels",
    )


class LiveProgress(Static):
    """The run-in-progress line; hidden until a run starts, then kept to show how it ended."""

    DEFAULT_CSS = """
    LiveProgress {
        /* Wraps: a narrow terminal would cut the elapsed time, the ETA and "x cancels". */
        height: auto;
        max-height: 3;
        padding: 0 1;
        display: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        # Written by the engine's thread, read by ``tick`` on the app's loop.
        self.run_id = ""
        self.counts: Counts | None = None
        self.status = "running"
        self.note = ""
        self.resumed = False
        # While a run starts (before the engine counts anything): what it is doing, since when.
        self.set_name = ""
        self.phase = ""
        self.asked_at = 0.0
        # Set once the "starting" line has been drawn: the run's thread waits for it, since
        # its imports hold the GIL for stretches and would hold up that first frame.
        self.shown_starting = threading.Event()
        self._drawn: str | None = None
        # The counts last drawn from and when they arrived: the ETA counts down from there.
        self._counted: Counts | None = None
        self._counted_at = 0.0

    def begin(self, set_name: str) -> None:
        """A run of ``set_name`` was asked for: replace the last run's line at once."""
        self.run_id, self.counts, self.status, self.note = "", None, "starting", ""
        self.set_name, self.phase, self.asked_at = set_name, "planning the run", time.monotonic()
        self._drawn = None
        self.shown_starting.clear()
        self.tick()

    def render(self) -> RenderResult:
        """The line; notes when the "starting" line is drawn."""
        if self.status == "starting":
            self.shown_starting.set()
        return super().render()

    def tick(self) -> None:
        """Redraw when something changed since the last tick (every tick while starting)."""
        if self.status == "starting":
            self.display = True
            elapsed = time.monotonic() - self.asked_at
            self.update(starting_content(self.set_name, self.phase, elapsed))
            return
        if self.counts is None:
            return
        now = time.monotonic()
        if self.counts is not self._counted:
            self._counted, self._counted_at = self.counts, now
        since = now - self._counted_at if self.status == "running" else 0.0
        content = progress_content(
            self.run_id, self.counts, self.status, self.note, self.resumed, since
        )
        if content.plain == self._drawn:
            return
        self._drawn = content.plain
        self.display = True
        self.update(content)

    @property
    def text(self) -> str:
        """The line as plain text (for tests)."""
        return str(self.render())


class EvalJob:
    """One run started from the screen: plans it, runs it, and reports through ``post``."""

    class Started(Message):
        """The run has an id and is running."""

        def __init__(self, run_id: str, total: int) -> None:
            super().__init__()
            self.run_id = run_id
            self.total = total

    class Finished(Message):
        """The run ended: ``complete``, ``interrupted`` or ``failed`` (``error`` says why)."""

        def __init__(self, run_id: str | None, status: str, error: str = "") -> None:
            super().__init__()
            self.run_id = run_id
            self.status = status
            self.error = error

    def __init__(
        self,
        project: Project,
        request: StartRequest,
        runner: TurnRunner | None,
        progress: LiveProgress,
        *,
        resume: str | None = None,
    ) -> None:
        self.project = project
        self.request = request
        # The id of a stored run to finish (its own set and variants) instead of a new plan.
        self.resume = resume
        self.runner = runner
        self.progress = progress
        self.run_id: str | None = None
        self.status = "starting"
        self.running = True
        self._cancelled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        # The first visible change, before any planning: the last run's line is replaced now.
        progress.begin(request.set_name)

    def run(self, post: Callable[[Message], Any]) -> None:
        """Plan the run (or take up the stored one to resume) and run it to the end (call from
        a worker thread)."""
        from workbench.core.evals.session import prepare_run, resume_plan

        self.progress.shown_starting.wait(2.0)
        error = ""
        try:
            if self.resume is not None:
                plan, _ = resume_plan(self.project, self.resume)
            else:
                plan = prepare_run(
                    self.project,
                    set_name=self.request.set_name,
                    # "default" is offered when workbench.toml declares none: let the core choose.
                    variant_names=[
                        name
                        for name in self.request.variants
                        if name in self.project.config.variants
                    ]
                    or None,
                    repeat=self.request.repeat,
                    concurrency=self.request.concurrency,
                )
            self.run_id = plan.run_id
            self.progress.phase = (
                f"run {plan.run_id}: starting the agent and the mock"
                if self.runner is None
                else f"run {plan.run_id}: starting"
            )
            asyncio.run(self._main(plan, post))
        except asyncio.CancelledError:
            self.status = "interrupted"
        except Exception as problem:  # shown to the user; the run is kept as failed
            self.status, error = "failed", str(problem) or type(problem).__name__
        finally:
            self.running = False
            if self.progress.status == "starting":  # it ended before the engine counted any
                elapsed = time.monotonic() - self.progress.asked_at
                self.progress.run_id = self.run_id or self.request.set_name
                self.progress.counts = Counts(total=0, elapsed_s=elapsed)
                self.progress.status = "failed" if self.status == "starting" else self.status
            post(self.Finished(self.run_id, self.status, error))

    async def _main(self, plan, post: Callable[[Message], Any]) -> None:
        from workbench.core.evals.session import execute

        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if self._cancelled:
            return

        def listen(event: ProgressEvent) -> None:
            if isinstance(event, RunStarted):
                self.status = "running"
                self.progress.run_id, self.progress.status = event.run_id, "running"
                self.progress.resumed = event.resumed
                self.progress.counts = event.counts
                post(self.Started(event.run_id, event.counts.total))
            elif isinstance(event, ResultRecorded):
                self.progress.counts = event.counts
            elif isinstance(event, RateLimited):
                self.progress.note = f"429 on {event.variant}: waiting {event.delay_s:.1f} s"
            elif isinstance(event, RunFinished):
                self.status = event.status
                self.progress.counts, self.progress.status = event.counts, event.status
                self.progress.note = event.message if event.status == "failed" else ""

        await execute(plan, self.project, listener=listen, runner=self.runner)

    def cancel(self) -> None:
        """Cancel the run from any thread; results so far stay and the run can be resumed."""
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

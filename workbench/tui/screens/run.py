"""The Run section: chat with a project's agent while its spans, tokens and budget arrive live."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from workbench.core import live
from workbench.core.budget import BudgetReport
from workbench.core.live import TraceReader
from workbench.core.projects import Project, open_project
from workbench.core.runner.phases import FIRST_ANSWER
from workbench.core.runner.stack import TurnReport
from workbench.core.runner.warm import WarmRunner
from workbench.core.tracemodels import TraceDetail
from workbench.tui.format import counted
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.chat import ChatLog
from workbench.tui.widgets.gauges import TurnGauges, line_title
from workbench.tui.widgets.steady_footer import SteadyFooter
from workbench.tui.widgets.waterfall import Waterfall

POLL_SECONDS = 0.25


class TurnRunner(Protocol):
    """What the screen needs from a runner: ``LocalStack``, or a fake in tests."""

    async def __aenter__(self) -> Any: ...

    async def close(self) -> None: ...

    async def turn(self, text: str, *, session_id: str | None = None) -> TurnReport: ...


def local_stack(project: Project, *, model: str | None, variant: str | None) -> TurnRunner:
    """The real runner: collector, mock (unless a real model) and a child process."""
    from workbench.core.runner.stack import LocalStack

    return LocalStack(project, model=model, variant=variant)


class RunScreen(SectionScreen):
    """Pick project, model, variant and session; chat; watch the turn's spans and budget fill."""

    SUB_TITLE = "Run"
    MAIN_WIDGET = "#run-spans"
    PROJECT_SELECT = "#run-project"
    BINDINGS = [
        Binding("escape", "cancel_turn", "Cancel run"),
        Binding("ctrl+n", "new_session", "New session"),
        Binding("i", "focus_message", "Message"),
    ]
    # Replaced in tests by a fake, so snapshot tests start no child process.
    runner_factory = staticmethod(local_stack)

    def __init__(self) -> None:
        super().__init__()
        self.reader: TraceReader | None = None
        self.project: Project | None = None
        self.session_id = ""
        # When the runner was asked for (0: not waiting for it); the tick shows its phases.
        self._waiting_since = 0.0
        self._turn: Worker | None = None
        self._since_ns = 0
        self._following = False
        self._polling = False
        self._shown: tuple[str, int, int] | None = None
        self._alerted: set[tuple[str, str, float]] = set()
        self._started = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="run-options"):
            yield Select[str]([], prompt="Project", id="run-project")
            yield Input(placeholder="Model: mock, or a litellm model", id="run-model")
            yield Select[str]([], prompt="No variant", id="run-variant")
            yield Input(placeholder="Session: a new one", id="run-session")
        with Horizontal(id="run-body"):
            with Vertical(id="run-chat-pane"):
                yield ChatLog(id="run-chat")
                yield Static(id="run-progress")
                yield Input(placeholder="Message the agent and press enter", id="run-input")
            with Vertical(id="run-side"):
                yield Static("Spans of the current turn", id="run-spans-title")
                yield Waterfall(id="run-spans")
                yield TurnGauges(id="run-gauges")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#run-input", Input).focus()
        self.query_one("#run-progress").display = False
        self.start()
        self.set_interval(POLL_SECONDS, self._poll_tick)

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-start")
    def start(self) -> None:
        """Open the reader and the collector, and list the projects."""
        from workbench.core.listing import list_projects

        self.reader = self.reader or TraceReader()
        try:
            live.ensure_local_collector()
        except Exception as error:
            self.app.call_from_thread(self.notify, str(error), title="No collector")
        opened = getattr(self.app, "project_path", None)
        projects = list_projects([opened] if opened else [])
        options = [(info.name, str(info.path)) for info in projects]
        self.app.call_from_thread(self._set_projects, options, str(opened) if opened else None)

    def _set_projects(self, options: list[tuple[str, str]], opened: str | None) -> None:
        select = self.query_one("#run-project", Select)
        select.set_options(options)
        if options:
            select.value = opened if opened in {v for _, v in options} else options[0][1]

    @on(Select.Changed, "#run-project")
    def _project_chosen(self, event: Select.Changed) -> None:
        variants = self.query_one("#run-variant", Select)
        self.project = None
        if event.value is Select.NULL:
            variants.set_options([])
            return
        try:
            self.project = open_project(Path(str(event.value)))
        except Exception as error:
            self.query_one(ChatLog).add("error", str(error))
            variants.set_options([])
            return
        names = sorted(self.project.config.variants)
        variants.set_options((name, name) for name in names)
        if "baseline" in names:
            variants.value = "baseline"
        # Start its runner now, so the first turn does not wait for the imports.
        if getattr(self.app, "warm_runners", False):
            self.app.warm_project(self.project)  # type: ignore[attr-defined]  # WorkbenchApp

    @on(Input.Submitted, "#run-input")
    def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self._turn is not None and self._turn.is_running:
            self.notify("A turn is running; escape cancels it.", severity="warning")
            return
        if self.project is None:
            self.query_one(ChatLog).add("error", "Choose a project first.")
            return
        event.input.value = ""
        session = self.query_one("#run-session", Input)
        if not session.value.strip():
            session.value = uuid.uuid4().hex[:16]
        self.session_id = session.value.strip()
        self.query_one(ChatLog).add("user", text)
        self._turn = self.run_turn(text)
        self.refresh_bindings()  # escape now cancels the turn, even from the message box

    def _options(self) -> tuple[str | None, str | None]:
        model = self.query_one("#run-model", Input).value.strip() or None
        variant = self.query_one("#run-variant", Select).value
        return model, None if variant is Select.NULL else str(variant)

    @work(exclusive=True, exit_on_error=False, group="run-turn")
    async def run_turn(self, text: str) -> TurnReport:
        """Run one turn through the runner (started or restarted when the options changed)."""
        assert self.project is not None
        model, variant = self._options()
        self._waiting_since = time.monotonic()
        self._progress(self._starting_text())
        try:
            runner = await self._runners().take(self.project, model=model, variant=variant)
        finally:
            self._waiting_since = 0.0
        self._since_ns = time.time_ns() - 2_000_000_000
        self._shown = None
        self._following = True
        self._started = time.monotonic()
        self._progress(self._running_text())
        return await runner.turn(text, session_id=self.session_id)

    def _runners(self) -> WarmRunner:
        """The app's warm runner (one of the screen's own in an app without one)."""
        runners = getattr(self.app, "runners", None)
        if runners is None:
            factory = type(self).runner_factory
            runners = self.__dict__.setdefault("_own_runners", WarmRunner(factory))
        return runners

    def _starting_text(self) -> str:
        phases = self._runners().phases
        described = phases.describe() if phases is not None else ""
        if not described:
            elapsed = time.monotonic() - self._waiting_since if self._waiting_since else 0.0
            described = f"Starting the agent · {elapsed:.1f} s"
        return f"{described} · escape cancels"

    def _show_warming(self) -> None:
        """Between turns: the agent being started ahead of the first message, if it is."""
        runners = self._runners()
        phases = runners.phases
        described = phases.describe() if runners.starting and phases is not None else ""
        progress = self.query_one("#run-progress", Static)
        if described:
            self._progress(f"Getting the agent ready: {described[:1].lower()}{described[1:]}")
        elif runners.start_error:
            self._progress(f"The agent could not start: {runners.start_error} (a message retries)")
        elif progress.display:
            progress.display = False

    def _running_text(self) -> str:
        spans = len(self.query_one(Waterfall).spans)
        elapsed = time.monotonic() - self._started
        doing = f"{spans} spans so far" if spans else FIRST_ANSWER
        return f"Running… {doing} · {elapsed:.1f} s · escape cancels"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not self.query_one(ChatLog).is_attached:
            return  # the app is closing (ctrl+q mid-turn cancels the turn): nothing to say
        if event.worker.group == "run-start" and event.state is WorkerState.ERROR:
            # Without the project list the screen cannot run anything: say why.
            error = f"Could not list the projects: {event.worker.error}"
            self.query_one(ChatLog).add("error", error)
            return
        if event.worker.group != "run-turn" or event.worker is not self._turn:
            return
        self.refresh_bindings()
        chat = self.query_one(ChatLog)
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, TurnReport):
            self._finish(event.worker.result)
        elif event.state is WorkerState.ERROR:
            chat.add("error", str(event.worker.error))
            self._stop_following()
        elif event.state is WorkerState.CANCELLED:
            chat.add("note", "Turn cancelled.")
            self._stop_following()

    def _finish(self, report: TurnReport) -> None:
        chat = self.query_one(ChatLog)
        result = report.result
        usage = result.get("usage") or {}
        tools = result.get("tool_calls") or []
        meta = (
            f"{result.get('status') or 'error'} · {counted(result.get('steps', 0), 'step')} · "
            f"{counted(len(tools), 'tool call')} · in {usage.get('input_tokens', 0)} / out "
            f"{usage.get('output_tokens', 0)} tokens · {report.outcome.wall_ms / 1000:.2f} s"
        )
        title = f"{report.project} · {report.model} ({report.model_source})"
        if result.get("output"):
            chat.add("agent", str(result["output"]), title=title, meta=meta)
        if report.error:
            chat.add("error", report.error)
        self.query_one("#run-session", Input).value = report.session_id
        if report.trace is not None:
            self._show_trace(report.trace)
        self._stop_following(final_trace=result.get("trace_id"))

    def _stop_following(self, final_trace: str | None = None) -> None:
        self._following = False
        self.query_one("#run-progress").display = False
        # One last look, so gauges show the stored trace and the budget after the turn.
        if self.reader is not None and self.project is not None:
            self._poll(self.project, self.session_id, self._since_ns, final_trace)

    def _progress(self, text: str) -> None:
        progress = self.query_one("#run-progress", Static)
        progress.display = True
        progress.update(text)

    def _poll_tick(self) -> None:
        if self._waiting_since:
            self._progress(self._starting_text())
        elif self._following and self._started:
            self._progress(self._running_text())
        else:
            self._show_warming()
        if not self._following or self._polling or self.reader is None or self.project is None:
            return
        self._poll(self.project, self.session_id, self._since_ns, None)

    @work(thread=True, exit_on_error=False, group="run-poll")
    def _poll(self, project: Project, session: str, since_ns: int, trace_id: str | None) -> None:
        """Read the turn's trace and the budget; hand them to the screen when they changed."""
        self._polling = True
        try:
            assert self.reader is not None
            if trace_id:
                detail = self.reader.trace(trace_id)
            else:
                detail = self.reader.session_trace(project.name, session, since_ns)
            if detail is None:
                return
            seen = (detail.trace_id, detail.span_count, detail.updated_ns)
            if seen == self._shown and not trace_id:
                return
            budget = self.reader.budget(project, session_id=session, trace_id=detail.trace_id)
            self.app.call_from_thread(self._apply, seen, detail, budget)
        finally:
            self._polling = False

    def _apply(self, seen: tuple, detail: TraceDetail, budget: BudgetReport) -> None:
        self._shown = seen
        self._show_trace(detail)
        gauges = self.query_one(TurnGauges)
        gauges.show_budget(budget)
        for line in budget.lines:
            for threshold in line.crossed:
                key = (line.name, line.scope, threshold)
                if key in self._alerted:
                    continue
                self._alerted.add(key)
                if threshold == max(line.crossed):
                    self.notify(
                        f"{line_title(line)} is at {line.share:.0%} of its limit ({line.scope}).",
                        title=f"Budget: {threshold:.0%} crossed",
                        severity="error" if line.exceeded else "warning",
                    )

    def _show_trace(self, detail: TraceDetail) -> None:
        self.query_one(Waterfall).show(detail)
        self.query_one(TurnGauges).show_turn(detail)

    def action_cancel_turn(self) -> None:
        """Cancel the running turn (its child process is stopped, or killed if it hangs)."""
        if self._turn is not None and self._turn.is_running:
            self._turn.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc cancels a turn only while one runs (the footer offers it only then)."""
        if action == "cancel_turn":
            return self._turn is not None and not self._turn.is_finished
        return super().check_action(action, parameters)

    def escape_leaves_field(self) -> bool:
        """While a turn runs, escape cancels it, even from the message box."""
        return not (self._turn is not None and self._turn.is_running)

    def action_focus_message(self) -> None:
        """Back into the message box (Esc leaves it)."""
        self.query_one("#run-input", Input).focus()

    def action_new_session(self) -> None:
        """Start a new conversation."""
        self.query_one("#run-session", Input).value = ""
        self.query_one(ChatLog).add("note", "New session.")

    async def on_unmount(self) -> None:
        # The runner belongs to the app (it outlives this screen); a screen-owned one is closed.
        own = self.__dict__.get("_own_runners")
        if own is not None:
            await own.close()
        if self.reader is not None:
            self.reader.close()

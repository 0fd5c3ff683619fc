"""The workbench's Textual app: wiring of sections, key bindings, palette and help.

Each top-level section is an app mode, listed in ``workbench.tui.sections.SECTIONS``.
To add one (Run, Traces, Evals, Readiness, Ship), write its screen as a module
under ``workbench/tui/screens/`` and add one ``Section(mode, key, title,
"module:Screen", description)`` line to ``SECTIONS``; the app derives the mode,
the key binding, the footer entry and the command palette entry from it.
Screens are imported on first visit, so a new section never slows startup.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen

from workbench.core.runner.warm import WarmRunner, default_options
from workbench.tui import focus
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.footer_fit import sections_fit
from workbench.tui.sections import SECTIONS, section_bindings

if TYPE_CHECKING:
    from workbench.core.projects import Project

# Seconds a child has to exit after SIGTERM when the app quits, before SIGKILL.
QUIT_GRACE = 0.5
QUIT_EVAL_WAIT = 5.0


def make_runner(project: Project, *, model: str | None, variant: str | None) -> Any:
    """The Run section's runner for ``project`` (``RunScreen.runner_factory``, a fake in tests)."""
    from workbench.tui.screens.run import RunScreen

    return RunScreen.runner_factory(project, model=model, variant=variant)


class WorkbenchApp(App[None]):
    """Agent Workbench: one mode per section, a footer, a command palette and a help screen."""

    TITLE = "Agent Workbench"
    CSS_PATH = "app.tcss"
    MODES = {section.mode: section.factory() for section in SECTIONS}
    DEFAULT_MODE = SECTIONS[0].mode
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Screen classes for app.tcss: side panes give way below 120 and 100 columns.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide")]
    # ...and dialogs drop their blank lines below 32 rows.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        focus.LEAVE_FIELD,
        *section_bindings(),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        # In a text field q types, and the footer shows ctrl+q instead.
        Binding("q,ctrl+q", "quit", "Quit"),
    ]

    def __init__(
        self,
        project_path: Path | None = None,
        *,
        start_collector: bool = False,
        warm_runners: bool = False,
    ) -> None:
        super().__init__()
        # A project opened by path: listed and selected in the Projects section.
        self.project_path = project_path
        self.start_collector = start_collector
        # Start an opened project's agent ahead of its first turn (off in tests by default,
        # so no test starts a child process it did not ask for).
        self.warm_runners = warm_runners
        self.runners = WarmRunner(make_runner)
        self.keys_behind_tab = focus.KeysBehindTab(self)

    def on_mount(self) -> None:
        if self.warm_runners and self.project_path is not None:
            from workbench.core.projects import open_project
            from workbench.errors import WorkbenchError

            with contextlib.suppress(WorkbenchError):  # the Run section says what is wrong
                self.warm_project(open_project(self.project_path))
        if self.start_collector:
            # A daemon thread, not a thread worker: Textual's workers share asyncio's default
            # executor, which quitting waits for, and a start takes a while on a busy machine.
            threading.Thread(
                target=self.ensure_collector, name="workbench-tui-collector", daemon=True
            ).start()
        elif self.warm_runners:
            self._warm_opened()

    def ensure_collector(self) -> None:
        """Receive traces from the first second, whichever section is open (off the UI thread)."""
        from workbench.core.live import ensure_local_collector
        from workbench.errors import WorkbenchError

        try:
            ensure_local_collector()
        except WorkbenchError as error:
            if self.is_running:
                with contextlib.suppress(RuntimeError):  # the app quit meanwhile
                    self.call_from_thread(self.notify, str(error), severity="warning", timeout=8)
        # The opened project's agent sends its spans here: it starts once the collector is up.
        if self.warm_runners and self.is_running:
            with contextlib.suppress(RuntimeError):  # the app quit meanwhile
                self.call_from_thread(self._warm_opened)

    def _warm_opened(self) -> None:
        """Start the agent of the project the app was opened on (see ``warm_project``)."""
        if self.project_path is None:
            return
        from workbench.core.projects import open_project
        from workbench.errors import WorkbenchError

        with contextlib.suppress(WorkbenchError):  # the Run section says what is wrong
            self.warm_project(open_project(self.project_path))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc leaves a text field only while one has focus (see ``focus``)."""
        if action == "leave_field":
            return focus.can_leave_field(self.screen)
        if action in ("switch_mode", "switch_section") and isinstance(self.screen, ModalScreen):
            return False  # a dialog is answered or closed first
        if action == "switch_mode" and parameters and parameters[0] in self.MODES:
            # Named when the footer has room (or nothing is on screen yet), else grouped.
            return not self.is_running or sections_fit(self.screen)
        if action == "switch_section":
            return self.is_running and not sections_fit(self.screen)
        return True

    async def action_switch_section(self, mode: str) -> None:
        """Go to section ``mode`` (the grouped form of the section keys)."""
        await self.switch_mode(mode)

    def on_resize(self) -> None:
        # The room in the footer changed: named or grouped section keys.
        self.screen.refresh_bindings()

    def get_key_display(self, binding: Binding) -> str:
        """Help is ``?`` outside a text field and ``f1`` inside one (``?`` types there);
        quit is ``q`` where q quits and ``ctrl+q`` elsewhere (a field, the help dialog)."""
        if binding.action == "help" and focus.can_leave_field(self.screen):
            return "f1"
        if binding.action == "quit" and binding.key == "ctrl+q":
            q = self.screen.active_bindings.get("q")
            if q is not None and q.binding.action == "quit":
                return "q"
        return super().get_key_display(binding)

    async def on_event(self, event: events.Event) -> None:
        """Keys typed behind a Tab in a text field go where the Tab moved focus
        (``focus.KeysBehindTab``)."""
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        if self.keys_behind_tab.take(event):
            return
        tab = self.keys_behind_tab.is_tab_into_field(event)
        await super().on_event(event)
        if tab:
            self.keys_behind_tab.hold_behind()

    def action_focus_next(self) -> None:
        """Focus the next widget; keys typed behind the Tab follow (``KeysBehindTab``)."""
        super().action_focus_next()
        self.keys_behind_tab.release()

    def action_focus_previous(self) -> None:
        """Focus the previous widget; keys typed behind the Tab follow."""
        super().action_focus_previous()
        self.keys_behind_tab.release()

    def on_key(self, event: events.Key) -> None:
        # A key queued below a dialog that just opened belongs to the dialog's field.
        if focus.reroute_stray_key(self.screen, event):
            event.prevent_default()
            event.stop()

    def action_leave_field(self) -> None:
        """Leave the focused text field for the screen's main widget."""
        focus.leave_field(self.screen)

    def warm_project(self, project: Project) -> None:
        """Start ``project``'s agent in the background (the child imports it and litellm), so
        its first turn on the Run screen does not wait for that; see ``WarmRunner``."""
        model, variant = default_options(project)
        self.runners.warm(project, model=model, variant=variant)

    async def action_quit(self) -> None:
        """Quit: the agent's children get SIGTERM now, and SIGKILL shortly after if they are
        still there, so no turn outlives the app. They are waited for before the app exits:
        until then the terminal is still the app's, so keys typed meanwhile are neither
        echoed nor left for the shell (``on_unmount`` covers other ways out)."""
        self.runners.terminate()
        await self._stop_eval_runs()
        await self.runners.close(grace=QUIT_GRACE)
        self.exit()

    async def _stop_eval_runs(self) -> None:
        """Cancel an eval run going on and wait (``QUIT_EVAL_WAIT`` at most) for it to stop:
        it is marked interrupted and its children stopped while the screen still shows
        that it is quitting (Textual would wait for its thread after the screen was gone)."""
        engines = [w for w in self.workers if w.group == "evals-engine" and w.is_running]
        if not engines:
            return
        self.notify("Stopping the eval run…", title="Quitting", timeout=QUIT_EVAL_WAIT)
        for worker in engines:
            job = getattr(worker.node, "job", None)
            if job is not None:
                job.cancel()
        waits = asyncio.gather(*(worker.wait() for worker in engines), return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waits, QUIT_EVAL_WAIT)

    async def on_unmount(self) -> None:
        await self.runners.close(grace=QUIT_GRACE)

    def action_help(self) -> None:
        """Show every binding active on the current screen."""
        from workbench.tui.modals.help import HelpScreen

        keys: list[tuple[str, str]] = []
        actions: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            # A binding on several keys ("question_mark,f1") appears once per key.
            if binding.show and binding.description and binding.action not in actions:
                actions.add(binding.action)
                keys.append((self.get_key_display(binding), binding.description))
        palette = Binding(self.COMMAND_PALETTE_BINDING, "command_palette", "Command palette")
        keys.append((self.get_key_display(palette), "Command palette"))
        self.push_screen(HelpScreen(keys))

    async def action_new_project(self) -> None:
        """Go to the Projects section and open the New Project dialog."""
        await self.switch_mode("projects")
        await self.screen.run_action("new_project")


def create_app(
    project: str | None = None, *, start_collector: bool = False, warm_runners: bool = False
) -> WorkbenchApp:
    """The app, optionally opened on PROJECT (a path or a name under projects/).

    Shared by the CLI and the tests; an unknown PROJECT raises ``ProjectNotFound``.
    The CLI asks for the trace collector (on the configured port) to start with the
    app; tests leave it off so they never bind a fixed port.
    """
    project_path = None
    if project:
        from workbench.core.scaffold import remember_project

        project_path = remember_project(project).path
    return WorkbenchApp(
        project_path=project_path, start_collector=start_collector, warm_runners=warm_runners
    )


def run_app(
    project: str | None = None,
    closing: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> int:
    """Run the app in the terminal until the user quits, with the collector running; then
    stop the collector (inside ``closing()``), which flushes and closes its writer and
    checkpointer. Returns the app's exit code (1 after an error it showed)."""
    from workbench.core.live import stop_local_collector

    app = create_app(project, start_collector=True, warm_runners=True)
    try:
        app.run()
    finally:
        with closing():
            stop_local_collector()
    return app.return_code or 0

"""The Readiness section: the production-readiness checklist by group, run live, with sign-offs."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from weakref import WeakKeyDictionary

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, OptionList, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from workbench.core import readiness
from workbench.core.projects import Project
from workbench.core.readiness import ChecklistResult, ItemResult, Signoff
from workbench.core.readiness.checklist import summarize
from workbench.core.readiness.isolated import evaluate_isolated
from workbench.tui.modals.signoff import SignoffModal
from workbench.tui.screens import _project_checklist
from workbench.tui.screens._project_checklist import ProjectPickerScreen
from workbench.tui.widgets.checklist import ChecklistList
from workbench.tui.widgets.group_progress import GroupProgress
from workbench.tui.widgets.item_detail import ItemDetail
from workbench.tui.widgets.steady_footer import SteadyFooter

# Full checklist results (dynamic probes included) per app and project, so the Ship
# section can plan from the verdicts the Readiness section just showed, and back.
_FULL_RESULTS: WeakKeyDictionary[App, dict[Path, ChecklistResult]] = WeakKeyDictionary()


def remember_checklist(app: App, path: Path, result: ChecklistResult) -> None:
    """Keep ``result`` as the latest full checklist of the project at ``path`` in ``app``."""
    _FULL_RESULTS.setdefault(app, {})[Path(path)] = result


def remembered_checklist(app: App, path: Path) -> ChecklistResult | None:
    """The latest full checklist of the project at ``path`` evaluated in ``app``, if any."""
    return _FULL_RESULTS.get(app, {}).get(Path(path))


def summary_text(result: ChecklistResult, *, full: bool) -> str:
    """``Readiness 62% · 21/34 pass · NOT READY (13 blocking)``, and whether probes ran."""
    required = [item for item in result.items if item.required]
    verdict = "READY" if result.passed else f"NOT READY ({len(result.blocking)} blocking)"
    text = (
        f"Readiness {result.score:.0%} · {sum(i.passed for i in required)}/{len(required)} "
        f"pass · {verdict}"
    )
    return text if full else text + " · static only: r runs all"


STEP_TICK = 0.5
clock = time.monotonic  # the step line's elapsed time (a test holds it still)


def step_line(done: int, total: int, elapsed: float, pending: list[str], last: str) -> str:
    """``12/40 · 8 s · waiting on reliability.health-probes +3 · last: x: pass``."""
    parts = [f"{done}/{total}" if total else "", f"{elapsed:.0f} s"]
    if pending:
        more = f" +{len(pending) - 1}" if len(pending) > 1 else ""
        parts.append(f"waiting on {pending[0]}{more}")
    if last:
        parts.append(f"last: {last}")
    return " · ".join(part for part in parts if part)


class ReadinessScreen(ProjectPickerScreen):
    """Pick a project; see each item's verdict by group; ``r`` runs every check, ``s`` signs off.

    Opening a project runs the static checks (fast, no process started); ``r`` runs
    the dynamic probes too, in a thread worker, updating each row as its verdict arrives.
    """

    SUB_TITLE = "Readiness"
    MAIN_WIDGET = "#readiness-items"
    PROJECT_SELECT = "#readiness-project"
    PREFIX = "readiness"
    BINDINGS = [
        Binding("r", "run_checks", "Run all checks"),
        Binding("c", "static_checks", "Static checks"),
        Binding("s", "signoff", "Sign off"),
    ]
    # The core, replaceable in tests so snapshots show fixed verdicts and start nothing. It
    # runs in a child process: seconds of checks in a thread here would hold the GIL the
    # screen needs to answer keys.
    evaluate = staticmethod(evaluate_isolated)
    record_signoff = staticmethod(readiness.record_signoff)

    class ItemChecked(_project_checklist.ItemChecked):
        """Run ``token`` judged ``item`` (posted from the worker thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.result: ChecklistResult | None = None
        self.full = False
        self._token = 0
        self._done = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="readiness-top"):
            yield Select[str]([], prompt="Project", id="readiness-project")
            yield Static("Pick a project.", id="readiness-summary", markup=False)
        with Horizontal(id="readiness-run"):
            yield ProgressBar(id="readiness-progress", show_eta=False)
            yield Static("", id="readiness-step", markup=False)
        with Horizontal(id="readiness-body"):
            yield ChecklistList(id="readiness-items")
            with Vertical(id="readiness-side"):
                yield GroupProgress(id="readiness-groups")
                yield ItemDetail(id="readiness-detail")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self._run_started = clock()
        self._last_verdict = ""
        # The step line's elapsed time ticks while a run waits on a slow probe.
        self.set_interval(STEP_TICK, self._draw_step)
        self.query_one("#readiness-run").display = False
        self.query_one(GroupProgress).show({})
        self.query_one(ChecklistList).focus()
        self.list_projects()

    def on_screen_resume(self) -> None:
        # The Ship section may have evaluated the full checklist since.
        if self.project is not None and not self.running:
            latest = remembered_checklist(self.app, self.project.path)
            if latest is not None and latest is not self.result:
                self._show(latest, full=True)

    @property
    def running(self) -> bool:
        """Whether a check run is in progress."""
        return any(w.group == "readiness-check" and w.is_running for w in self.workers)

    # --- projects ---------------------------------------------------------------

    @on(Select.Changed, "#readiness-project")
    def _project_chosen(self, event: Select.Changed) -> None:
        self._token += 1  # verdicts still arriving for the previous project are ignored
        self.query_one("#readiness-run").display = False
        self.project = None
        self.result = None
        self.query_one(ChecklistList).show([])
        self.query_one(ItemDetail).show(None)
        self.project = self._open_chosen(event)
        if self.project is None:
            return
        remembered = remembered_checklist(self.app, self.project.path)
        if remembered is not None:
            self._show(remembered, full=True)
        else:
            self.action_static_checks()

    # --- running the checks -----------------------------------------------------

    def action_run_checks(self) -> None:
        """Run every check, the dynamic probes included (they start the project's service)."""
        self._start(run_dynamic=True)

    def action_static_checks(self) -> None:
        """Run the static and attested checks only (fast; no process started)."""
        self._start(run_dynamic=False)

    def _start(self, *, run_dynamic: bool) -> None:
        if self.project is None:
            self.notify("Pick a project first.", severity="warning")
            return
        self._token += 1
        self._done = 0
        items = self.query_one(ChecklistList)
        if items.items:
            items.show(items.items, pending=True)
        progress = self.query_one("#readiness-progress", ProgressBar)
        progress.update(total=len(items.items) or None, progress=0)
        self._run_started, self._last_verdict = clock(), ""
        self._draw_step()
        what = "every check, dynamic probes included" if run_dynamic else "the static checks"
        self._set_summary(f"Running {what}…")
        self.query_one("#readiness-run").display = True
        self.check(self.project, run_dynamic, self._token)

    @work(thread=True, exclusive=True, exit_on_error=False, group="readiness-check")
    def check(self, project: Project, run_dynamic: bool, token: int) -> tuple[int, bool, object]:
        """Evaluate the checklist off the event loop, posting each verdict as it comes."""

        def progress(item: ItemResult) -> None:
            self.post_message(self.ItemChecked(token, item))

        result = self.evaluate(project, run_dynamic=run_dynamic, progress=progress)
        return token, run_dynamic, result

    def on_readiness_screen_item_checked(self, message: ItemChecked) -> None:
        if message.token != self._token:
            return
        self._done += 1
        items = self.query_one(ChecklistList)
        items.update_item(message.item)
        self.query_one("#readiness-progress", ProgressBar).update(progress=self._done)
        self._last_verdict = f"{message.item.id}: {message.item.status}"
        self._draw_step()
        self.query_one(GroupProgress).show(items.counts())
        self._show_detail()

    def _draw_step(self) -> None:
        """The run's step line: done/total, the time so far, what it waits on, the last
        verdict (a dynamic probe can take half a minute: the line still moves)."""
        if not self.query_one("#readiness-run").display:
            return
        items = self.query_one(ChecklistList)
        self._set_step(
            step_line(
                self._done,
                len(items.items),
                clock() - self._run_started,
                items.pending_ids,
                self._last_verdict,
            )
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group == "readiness-check":
            if event.state is WorkerState.SUCCESS and event.worker.result is not None:
                token, full, result = event.worker.result
                if token == self._token:
                    self.query_one("#readiness-run").display = False
                    self._show(result, full=full)
                    if full and self.project is not None:
                        remember_checklist(self.app, self.project.path, result)
            elif event.state is WorkerState.ERROR:
                self.query_one("#readiness-run").display = False
                self._set_summary(f"The checks could not run: {event.worker.error}", error=True)
        elif group == "readiness-item" and event.state is WorkerState.SUCCESS:
            self._merge(event.worker.result)
        elif group in ("readiness-item", "readiness-projects") and event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Readiness", severity="error")

    # --- sign-offs --------------------------------------------------------------

    async def action_signoff(self) -> None:
        """Record a sign-off of the selected attested item, then judge it again."""
        item = self.query_one(ChecklistList).selected
        if self.project is None or item is None:
            return
        if item.kind != "attested":
            self.notify(
                f"{item.id} is {item.kind}: only attested items take a sign-off.",
                severity="warning",
            )
            return
        record = partial(self.record_signoff, self.project, item.id)
        # Awaited: keys typed meanwhile wait until the dialog's field has focus.
        await self.app.push_screen(SignoffModal(item, record), partial(self._signed, item))

    def _signed(self, item: ItemResult, signoff: Signoff | None) -> None:
        if signoff is None or self.project is None:
            return
        self.notify(f"{item.id} signed off by {signoff.signed_by}.", title="Sign-off recorded")
        self.recheck(self.project, item)

    @work(thread=True, exclusive=True, exit_on_error=False, group="readiness-item")
    def recheck(self, project: Project, item: ItemResult) -> ItemResult | None:
        """Judge one item again (its group's static checks, no probe)."""
        result = self.evaluate(project, only_group=item.group, run_dynamic=False)
        return next((fresh for fresh in result.items if fresh.id == item.id), None)

    def _merge(self, fresh: ItemResult | None) -> None:
        if fresh is None or self.result is None or self.project is None:
            return
        items = [fresh if item.id == fresh.id else item for item in self.result.items]
        merged = summarize(self.result.project or self.project.name, items)
        if self.full:
            remember_checklist(self.app, self.project.path, merged)
        self._show(merged, full=self.full)

    # --- showing ----------------------------------------------------------------

    def _show(self, result: ChecklistResult, *, full: bool) -> None:
        self.result = result
        self.full = full
        self.query_one(ChecklistList).show(result.items)
        self.query_one(GroupProgress).show(self.query_one(ChecklistList).counts(), result)
        self._set_summary(summary_text(result, full=full), error=not result.passed)
        self._show_detail()

    @on(OptionList.OptionHighlighted, "#readiness-items")
    def _show_detail(self) -> None:
        items = self.query_one(ChecklistList)
        selected = items.selected
        pending = selected is not None and items.status_of(selected.id) == "pending"
        self.query_one(ItemDetail).show(selected, pending=pending)

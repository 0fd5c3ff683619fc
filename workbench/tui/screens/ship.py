"""The Ship section: the deployment files a project gets: previewed, diffed, validated, written."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import (
    Header,
    OptionList,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from workbench.core import readiness, ship
from workbench.core.projects import Project
from workbench.core.readiness import ChecklistResult, ItemResult
from workbench.core.readiness.cached import cached_checklist
from workbench.core.ship import ShipPlan, ShipResult
from workbench.core.ship.checklist import checklist_from_result
from workbench.core.ship.models import FileStatus
from workbench.tui.modals.confirm import ConfirmModal
from workbench.tui.screens import _project_checklist
from workbench.tui.screens._project_checklist import ProjectPickerScreen
from workbench.tui.screens.readiness import remember_checklist, remembered_checklist
from workbench.tui.widgets.file_preview import DiffView, FilePreview
from workbench.tui.widgets.ship_files import ShipFileList
from workbench.tui.widgets.steady_footer import SteadyFooter
from workbench.tui.widgets.validation import ValidationView

_STATUS_LABELS: tuple[tuple[FileStatus, str], ...] = (
    ("new", "new"),
    ("update", "to update"),
    ("edited-conflict", "edited"),
    ("unchanged", "unchanged"),
)


def plan_summary(plan: ShipPlan) -> str:
    """``Checklist passes · 21 files: 3 new, 1 update, 17 unchanged``."""
    counts = [
        f"{len(files)} {label}"
        for status, label in _STATUS_LABELS
        if (files := plan.by_status(status))
    ]
    if plan.checklist.passed:
        verdict = "Checklist passes"
    elif not plan.checklist.evaluated:
        verdict = "Checklist not evaluated: writing refused"
    else:
        verdict = f"Checklist fails ({len(plan.checklist.blocking)} blocking): writing refused"
    return f"{verdict} · {len(plan.files)} files: {', '.join(counts)}"


def blocking_content(plan: ShipPlan) -> Content:
    """Why writing is refused: the blocking items, one per line."""
    checklist = plan.checklist
    if not checklist.evaluated:
        return Content.assemble(("Writing is refused: ", "bold"), checklist.note)
    lines = [
        Content.styled(
            f"Writing is refused until these {len(checklist.blocking)} items pass "
            "(f writes anyway, marking the files as from a failing checklist):",
            "bold",
        )
    ]
    lines += [
        Content.assemble(("  ✘ ", "$text-error"), (item.id, "bold"), f"  {item.title}")
        for item in checklist.blocking
    ]
    return Content("\n").join(lines)


def failing_text(plan: ShipPlan) -> str:
    """``The readiness checklist fails: 2 items (a, b)`` (or why it was not evaluated)."""
    checklist = plan.checklist
    if not checklist.evaluated:
        return f"The readiness checklist was not evaluated ({checklist.note})"
    ids = [item.id for item in checklist.blocking]
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"The readiness checklist fails: {len(ids)} item(s) ({shown})"


class ShipScreen(ProjectPickerScreen):
    """Pick a project; browse the files ship would write with their status, content and diff.

    The readiness checklist is the one the Readiness section last ran in full (or it
    is evaluated here, in a worker); ``w`` writes unless it fails, ``f`` writes anyway
    after a confirmation, ``v`` runs the validators on the planned files.
    """

    SUB_TITLE = "Ship"
    MAIN_WIDGET = "#ship-files"
    PROJECT_SELECT = "#ship-project"
    PREFIX = "ship"
    BINDINGS = [
        Binding("w", "write", "Write files"),
        Binding("f", "force_write", "Force write"),
        Binding("v", "validate", "Validate"),
        Binding("c", "recheck", "Check again"),
        Binding("p", "show_tab('tab-preview')", "Preview", show=False),
        Binding("d", "show_tab('tab-diff')", "Diff", show=False),
    ]
    # The core, replaceable in tests so snapshots show a fixed plan and start nothing.
    evaluate = staticmethod(readiness.evaluate)
    cached = staticmethod(cached_checklist)
    plan_ship = staticmethod(ship.plan_ship)
    write_ship = staticmethod(ship.write_ship)
    validate_files = staticmethod(ship.validate_files)

    class Checked(_project_checklist.ItemChecked):
        """Evaluation ``token`` judged ``item`` (posted from the worker thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.plan: ShipPlan | None = None
        self.checklist: ChecklistResult | None = None
        self._token = 0
        self._done = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="ship-top"):
            yield Select[str]([], prompt="Project", id="ship-project")
            yield Static("Pick a project.", id="ship-summary", markup=False)
        with Horizontal(id="ship-run"):
            yield ProgressBar(id="ship-progress", show_eta=False)
            yield Static("", id="ship-step", markup=False)
        yield Static("", id="ship-blocking")
        yield Static("", id="ship-notes", markup=False)
        with Horizontal(id="ship-body"):
            yield ShipFileList(id="ship-files")
            with TabbedContent(id="ship-tabs", initial="tab-preview"):
                with TabPane("Preview", id="tab-preview"):
                    yield FilePreview("Select a file to preview it.", id="ship-preview")
                with TabPane("Diff", id="tab-diff"):
                    yield DiffView("Select a file to compare it with the disk.", id="ship-diff")
                with TabPane("Validation", id="tab-validation"):
                    yield ValidationView(id="ship-validation")
        yield SteadyFooter()

    def on_mount(self) -> None:
        for selector in ("#ship-run", "#ship-blocking", "#ship-notes"):
            self.query_one(selector).display = False
        self.query_one(ShipFileList).focus()
        self.list_projects()

    def on_screen_resume(self) -> None:
        # A sign-off or a full run on the Readiness screen may have changed the verdicts.
        if self.project is None or self.plan is None:
            return
        latest = remembered_checklist(self.app, self.project.path)
        if latest is not None and latest is not self.checklist:
            self._prepare(latest)

    # --- projects ---------------------------------------------------------------

    @on(Select.Changed, "#ship-project")
    def _project_chosen(self, event: Select.Changed) -> None:
        self.project = None
        self._show_plan(None)
        self.project = self._open_chosen(event)
        if self.project is None:
            return
        self._set_summary(f"{self.project.name}: reading the readiness verdicts…")
        self._prepare(remembered_checklist(self.app, self.project.path))

    # --- planning ---------------------------------------------------------------

    def action_recheck(self) -> None:
        """Evaluate the readiness checklist again (dynamic probes included), then re-plan."""
        if self.project is not None:
            self._set_summary(f"{self.project.name}: checking readiness again…")
            self._prepare(None, fresh=True)

    def _prepare(self, checklist: ChecklistResult | None, *, fresh: bool = False) -> None:
        assert self.project is not None
        self._token += 1
        self._done = 0
        if checklist is None and fresh:
            self._show_checking()
        self.prepare(self.project, checklist, self._token, fresh)

    def _show_checking(self) -> None:
        self._set_step("Checking readiness (the dynamic probes take a while)…")
        self.query_one("#ship-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#ship-run").display = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="ship-plan")
    def prepare(
        self, project: Project, checklist: ChecklistResult | None, token: int, fresh: bool = False
    ) -> tuple[int, ChecklistResult, ShipPlan]:
        """Plan the files from ``checklist``, else from the cached verdicts when every one is
        cached (no probe runs on a visit), else from a new evaluation; off the event loop."""
        if checklist is None and not fresh:
            checklist = self.cached(project)
            if checklist is None:
                self.app.call_from_thread(self._show_checking)
        if checklist is None:

            def progress(item: ItemResult) -> None:
                self.post_message(self.Checked(token, item))

            if fresh:
                checklist = self.evaluate(project, progress=progress, use_cache=False)
            else:
                checklist = self.evaluate(project, progress=progress)
        plan = self.plan_ship(project, checklist=checklist_from_result(checklist))
        return token, checklist, plan

    def on_ship_screen_checked(self, message: Checked) -> None:
        if message.token == self._token:
            self._done += 1
            items = "item" if self._done == 1 else "items"
            self._set_step(f"Checking readiness: {self._done} {items} · {message.item.id}")

    # --- writing and validating -------------------------------------------------

    def action_write(self) -> None:
        """Write the new and updated files; refused while the checklist fails."""
        if self.project is None or self.plan is None:
            return
        if self.plan.blocked:
            self.notify(
                f"{failing_text(self.plan)}. Press f to write anyway.",
                title="Writing refused",
                severity="error",
            )
            return
        self.write(self.project, self.plan, False)

    def action_force_write(self) -> None:
        """Write despite a failing checklist and over edited files, after a confirmation."""
        if self.project is None or self.plan is None:
            return
        plan = self.plan
        reasons: list[str] = []
        if not plan.checklist.passed:
            reasons.append(
                f"{failing_text(plan)}.\nThe files will be marked as generated from a "
                "failing checklist."
            )
        edited = [file.path for file in plan.by_status("edited-conflict")]
        if edited:
            reasons.append(
                f"{len(edited)} file(s) edited since generation will be overwritten:\n"
                + "\n".join(f"  {path}" for path in edited)
            )
        if not reasons:
            self.notify("The checklist passes and nothing was edited: w writes.", title="Ship")
            return
        project = self.project

        def answered(yes: bool | None) -> None:
            if yes:
                self.write(project, plan, True)

        modal = ConfirmModal("Write anyway?", "\n\n".join(reasons), confirm="Write anyway")
        self.app.push_screen(modal, answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ship-write")
    def write(self, project: Project, plan: ShipPlan, force: bool) -> tuple[ShipResult, ShipPlan]:
        """Write the files, then plan again so the statuses show what is on disk now."""
        if force:
            plan = self.plan_ship(project, force=True, checklist=plan.checklist)
        result = self.write_ship(plan)
        return result, self.plan_ship(project, checklist=plan.checklist)

    def action_validate(self) -> None:
        """Run the validators on the planned files (in a scratch folder), in a worker."""
        if self.plan is None:
            return
        self.query_one(ValidationView).show(None, running=True)
        self.action_show_tab("tab-validation")
        self.validate(self.plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ship-validate")
    def validate(self, plan: ShipPlan) -> list:
        """Run hadolint, kubernetes-validate, check-jsonschema and zizmor off the event loop."""
        return self.validate_files(plan)

    def action_show_tab(self, tab: str) -> None:
        """Switch the right-hand pane to ``tab``."""
        self.query_one(TabbedContent).active = tab

    # --- results ----------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group, state = event.worker.group, event.state
        if state is WorkerState.ERROR:
            if group == "ship-plan":
                self.query_one("#ship-run").display = False
                self._set_summary(f"Cannot plan the files: {event.worker.error}", error=True)
            if group == "ship-validate":
                self.query_one(ValidationView).show(None)
            self.notify(str(event.worker.error), title="Ship", severity="error")
        elif state is not WorkerState.SUCCESS or event.worker.result is None:
            return
        elif group == "ship-plan":
            token, checklist, plan = event.worker.result
            if token == self._token and self.project is not None:
                self.query_one("#ship-run").display = False
                self.checklist = checklist
                remember_checklist(self.app, self.project.path, checklist)
                self._show_plan(plan)
        elif group == "ship-write":
            result, plan = event.worker.result
            self._written(result)
            self._show_plan(plan)
        elif group == "ship-validate":
            self.query_one(ValidationView).show(event.worker.result)

    def _written(self, result: ShipResult) -> None:
        kept = f", kept {len(result.kept)} edited (f overwrites)" if result.kept else ""
        self.notify(
            f"Wrote {len(result.written)} file(s), {len(result.unchanged)} unchanged{kept}.",
            title="Ship",
        )

    def _show_plan(self, plan: ShipPlan | None) -> None:
        self.plan = plan
        files = plan.files if plan is not None else []
        self.query_one(ShipFileList).show(files)
        self.query_one(ValidationView).show(None)
        blocking = self.query_one("#ship-blocking", Static)
        blocking.display = plan is not None and plan.blocked
        if plan is not None and plan.blocked:
            blocking.update(blocking_content(plan))
        notes = self.query_one("#ship-notes", Static)
        notes.display = bool(plan and plan.notes)
        notes.update("\n".join(f"note: {note}" for note in plan.notes) if plan else "")
        if plan is not None:
            self._set_summary(plan_summary(plan), error=not plan.checklist.passed)
        self._show_file()

    @on(OptionList.OptionHighlighted, "#ship-files")
    def _show_file(self) -> None:
        selected = self.query_one(ShipFileList).selected
        self.query_one(FilePreview).show(selected)
        self.query_one(DiffView).show(selected)

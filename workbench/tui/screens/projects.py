"""The Projects section: the projects the workbench knows, and a way to create one."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static
from textual.worker import Worker, WorkerState

from workbench.core.scaffold import ProjectInfo, ScaffoldResult, list_projects
from workbench.tui.modals.new_project import NewProjectModal
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.projects_table import ProjectsTable
from workbench.tui.widgets.steady_footer import SteadyFooter


class ProjectsScreen(SectionScreen):
    """Lists projects (reloaded each time the screen becomes active); ``n`` creates one."""

    SUB_TITLE = "Projects"
    MAIN_WIDGET = "#projects"
    BINDINGS = [
        Binding("n", "new_project", "New project"),
        Binding("r", "reload", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._select: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProjectsTable(id="projects")
        yield Static(
            "No projects yet: press [b]n[/b] to create one.", id="projects-empty", markup=True
        )
        yield SteadyFooter()

    def on_screen_resume(self) -> None:
        self.load()

    def action_reload(self) -> None:
        """Read the projects again."""
        self.load()

    @on(DataTable.RowSelected, "#projects")
    async def _open_project(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens its project: every section shows it; the Run section opens."""
        key = event.row_key.value
        if key is None:
            return
        name = event.data_table.get_row(key)[0]
        self.app.project_path = Path(key)  # type: ignore[attr-defined]  # WorkbenchApp's
        await self.app.switch_mode("run")
        self.notify(f"Opened {name}.", timeout=3)

    async def action_new_project(self) -> None:
        """Open the New Project dialog; a created project is selected in the list."""
        # Awaited: keys typed meanwhile wait until the dialog's name field has focus.
        await self.app.push_screen(NewProjectModal(), self._created)

    def _created(self, result: ScaffoldResult | None) -> None:
        if result is not None:
            self._select = result.path
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="projects")
    def load(self) -> list[ProjectInfo]:
        """List the projects off the event loop."""
        opened = getattr(self.app, "project_path", None)
        return list_projects([opened] if opened else [])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "projects":
            return
        if event.state is WorkerState.SUCCESS:
            projects: list[ProjectInfo] = event.worker.result or []
            select = self._select or getattr(self.app, "project_path", None)
            table = self.query_one(ProjectsTable)
            table.show(projects, select)
            table.display = bool(projects)
            self.query_one("#projects-empty").display = not projects
            self._select = None
        elif event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Could not list projects", severity="error")

"""What the Readiness and Ship screens share: picking a project and reporting a checklist run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.message import Message
from textual.widgets import Select, Static

from workbench.core.projects import Project, open_project
from workbench.core.readiness import ItemResult
from workbench.tui.section_screen import SectionScreen

if TYPE_CHECKING:
    from textual.worker import Worker


class ItemChecked(Message):
    """Run ``token`` judged ``item`` (posted from the worker thread)."""

    def __init__(self, token: int, item: ItemResult) -> None:
        super().__init__()
        self.token = token
        self.item = item


class ProjectPickerScreen(SectionScreen):
    """A screen with ``#<PREFIX>-project`` (a Select), ``-summary`` and ``-step`` widgets.

    The project list loads in a thread worker of group ``<PREFIX>-projects``.
    """

    PREFIX: ClassVar[str]

    def list_projects(self) -> Worker[None]:
        """List the projects off the event loop, preferring the one the app was opened on."""
        return self.run_worker(
            self._list_projects,
            name="list_projects",
            group=f"{self.PREFIX}-projects",
            description="list_projects()",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _list_projects(self) -> None:
        from workbench.core.listing import list_projects

        opened = getattr(self.app, "project_path", None)
        projects = list_projects([opened] if opened else [])
        options = [(info.name, str(info.path)) for info in projects]
        self.app.call_from_thread(self._set_projects, options, str(opened) if opened else None)

    def _set_projects(self, options: list[tuple[str, str]], opened: str | None) -> None:
        select = self.query_one(f"#{self.PREFIX}-project", Select)
        select.set_options(options)
        if options:
            select.value = opened if opened in {v for _, v in options} else options[0][1]
        else:
            self._set_summary("No projects: create one in the Projects section.")

    def _open_chosen(self, event: Select.Changed) -> Project | None:
        """The project ``event`` picked, or None (the summary says why when it cannot open)."""
        if event.value is Select.NULL:
            return None
        try:
            return open_project(Path(str(event.value)))
        except Exception as error:
            self._set_summary(f"Cannot open the project: {error}", error=True)
            return None

    def _set_summary(self, text: str, *, error: bool = False) -> None:
        summary = self.query_one(f"#{self.PREFIX}-summary", Static)
        summary.update(text)
        summary.set_class(error, "-error")

    def _set_step(self, text: str) -> None:
        self.query_one(f"#{self.PREFIX}-step", Static).update(text)

"""A table of projects: name, template, template version, created date and path."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from workbench.core.scaffold import ProjectInfo
from workbench.tui.format import display_path


class ProjectsTable(DataTable):
    """Projects, one row each, keyed by their folder."""

    DEFAULT_CSS = """
    ProjectsTable {
        height: 1fr;
    }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Name", key="name")
        self.add_column("Template", key="template")
        self.add_column("Version", key="version")
        self.add_column("Created", key="created")
        self.add_column("Path", key="path")

    def show(self, projects: list[ProjectInfo], select: Path | None = None) -> None:
        """Replace the rows with ``projects`` and move the cursor to ``select`` if listed."""
        self.clear()
        for info in projects:
            self.add_row(
                info.name,
                info.template or "-",
                info.template_version or "-",
                info.created.strftime("%Y-%m-%d"),
                display_path(info.path),
                key=str(info.path),
            )
        key = str(Path(select).resolve()) if select is not None else None
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    @property
    def names(self) -> list[str]:
        """The names shown, in order (for tests and callers)."""
        return [str(self.get_row_at(index)[0]) for index in range(self.row_count)]

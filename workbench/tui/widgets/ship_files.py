"""The files ``workbench ship`` would generate, one row each with its status against the disk."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workbench.core.ship import GeneratedFile

# status -> (label, style)
FILE_STATUS: dict[str, tuple[str, str]] = {
    "new": ("new", "$text-success"),
    "update": ("update", "$text-accent"),
    "unchanged": ("unchanged", "$text-muted"),
    "edited-conflict": ("edited", "$text-warning"),
}


def status_label(status: str) -> Content:
    """The file status as a coloured, fixed-width label."""
    label, style = FILE_STATUS.get(status, (status, "$text-muted"))
    return Content.styled(f"{label:<10}", style)


class ShipFileList(OptionList):
    """Generated files keyed by their path inside the project."""

    DEFAULT_CSS = """
    ShipFileList {
        height: 1fr;
        border: none;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._files: dict[str, GeneratedFile] = {}

    @property
    def files(self) -> list[GeneratedFile]:
        """The files listed, in order."""
        return list(self._files.values())

    @property
    def selected(self) -> GeneratedFile | None:
        """The file under the cursor."""
        option = self.highlighted_option
        return None if option is None or option.id is None else self._files.get(option.id)

    def show(self, files: list[GeneratedFile]) -> None:
        """Replace the rows with ``files``, keeping the cursor on the same path when listed."""
        keep = self.selected.path if self.selected is not None else None
        self._files = {file.path: file for file in files}
        self.clear_options()
        self.add_options(
            Option(Content.assemble(" ", status_label(f.status), f.path), id=f.path) for f in files
        )
        if files:
            self.highlighted = self.get_option_index(keep if keep in self._files else files[0].path)

    def select_path(self, path: str) -> None:
        """Move the cursor to the file at ``path``."""
        self.highlighted = self.get_option_index(path)

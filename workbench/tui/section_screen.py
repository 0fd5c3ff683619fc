"""The base of every section's screen: where Esc leaves a field for, and the opened project."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import ClassVar

from textual.screen import Screen
from textual.widgets import Select
from textual.widgets.select import InvalidSelectValueError


class SectionScreen(Screen):
    """A section's screen.

    ``MAIN_WIDGET`` (a selector) is where focus goes when Esc leaves a text field.
    ``PROJECT_SELECT`` (a selector of a ``Select`` of project paths) follows the project
    the user opened (``app.project_path``, set by Enter on a project row) each time the
    screen becomes active, so every section shows the project the user chose last.
    """

    MAIN_WIDGET: ClassVar[str] = ""
    PROJECT_SELECT: ClassVar[str] = ""

    def on_screen_resume(self) -> None:
        opened = getattr(self.app, "project_path", None)
        if not self.PROJECT_SELECT or opened is None:
            return
        select = next(iter(self.query(self.PROJECT_SELECT)), None)
        if not isinstance(select, Select):
            return
        wanted = str(Path(opened))
        if select.value != wanted:
            # Not listed yet: the screen lists the projects on mount and picks this one.
            with contextlib.suppress(InvalidSelectValueError):
                select.value = wanted

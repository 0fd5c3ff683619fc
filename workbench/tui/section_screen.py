"""The base of every section's screen: where Esc leaves a field for, and the opened project."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Select
from textual.widgets.select import InvalidSelectValueError

from workbench.tui.footer_fit import sections_fit
from workbench.tui.sections import section_bindings


class SectionScreen(Screen):
    """A section's screen.

    ``MAIN_WIDGET`` (a selector) is where focus goes when Esc leaves a text field.
    ``PROJECT_SELECT`` (a selector of a ``Select`` of project paths) follows the project
    the user opened (``app.project_path``, set by Enter on a project row) each time the
    screen becomes active, so every section shows the project the user chose last.
    """

    # The section keys come first in the footer: a narrow terminal cuts its end, not them.
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        *section_bindings()
    ]
    MAIN_WIDGET: ClassVar[str] = ""
    PROJECT_SELECT: ClassVar[str] = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Section keys: named when the footer has room, else grouped; none without modes
        (a test host showing one screen)."""
        if action in ("switch_mode", "switch_section"):
            if not parameters or parameters[0] not in getattr(self.app, "MODES", {}):
                return False
            return sections_fit(self) == (action == "switch_mode")
        return True

    async def action_switch_mode(self, mode: str) -> None:
        """Go to section ``mode``."""
        await self.app.switch_mode(mode)

    async def action_switch_section(self, mode: str) -> None:
        """Go to section ``mode`` (the grouped form of the section keys)."""
        await self.app.switch_mode(mode)

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

"""A yes/no question in a dialog, answered with a bool."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from workbench.tui.focus import DIALOG_KEYS
from workbench.tui.widgets.steady_footer import SteadyFooter


class ConfirmModal(ModalScreen[bool]):
    """Asks ``title`` with ``message``; dismisses True on ``confirm``, False on cancel/escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), *DIALOG_KEYS]

    def __init__(self, title: str, message: str | Content, confirm: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title", markup=False)
            with VerticalScroll(id="confirm-message"):
                yield Static(self.message, markup=False)
            with Horizontal(id="buttons"):
                yield Button(self.confirm, variant="error", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        """Answer no."""
        self.dismiss(False)

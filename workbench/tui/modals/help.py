"""The help dialog: every key binding active where it was opened."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from workbench.tui.focus import DIALOG_KEYS
from workbench.tui.widgets.steady_footer import SteadyFooter


class HelpScreen(ModalScreen[None]):
    """Lists ``(key, description)`` pairs; any of escape, ``?``, F1 or ``q`` closes it."""

    BINDINGS = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close"),
        DIALOG_KEYS[-1],
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Keys", id="dialog-title")
            yield DataTable(id="keys", show_cursor=False)
            yield Static("Press escape to close.", id="help-hint")
        yield SteadyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Key", key="key")
        table.add_column("Action", key="action")
        for key, description in self.keys:
            table.add_row(key, description)

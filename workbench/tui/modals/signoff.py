"""The sign-off dialog: a person attests a checklist item with their name and a note."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from workbench.core.readiness import ItemResult, Signoff
from workbench.errors import WorkbenchError
from workbench.tui.focus import DIALOG_KEYS
from workbench.tui.widgets.steady_footer import SteadyFooter

Recorder = Callable[[str, str], Signoff]


def signoff_help(item: ItemResult) -> str:
    """What the sign-off is valid for, and the one it replaces when the item has one."""
    current = next((line for line in item.evidence if "signed by " in line), None)
    help_text = "Valid until the evidence it covers changes."
    if current is None:
        return help_text
    return f"{help_text}\nReplaces: {current}"


class SignoffModal(ModalScreen[Signoff | None]):
    """Asks who signs ``item`` off and why; dismisses with the recorded ``Signoff`` or None.

    ``record(by, note)`` stores the sign-off (off the event loop); its errors are
    shown in the dialog, which stays open.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), *DIALOG_KEYS]
    # Focused as soon as the dialog is composed, so keys typed right after ``s`` land here.
    AUTO_FOCUS = "#signoff-by"

    def __init__(self, item: ItemResult, record: Recorder) -> None:
        super().__init__()
        self.item = item
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Sign off", id="dialog-title")
            yield Static(self.item.title, id="signoff-item", markup=False)
            yield Static(self.item.id, id="signoff-id", markup=False)
            with Horizontal(classes="field"):
                yield Label("Signed by")
                yield Input(placeholder="your name", id="signoff-by", compact=True)
            yield Static("", id="signoff-by-error", classes="error", markup=False)
            with Horizontal(classes="field"):
                yield Label("Note")
                yield Input(
                    placeholder="what was checked, where, how", id="signoff-note", compact=True
                )
            yield Static(signoff_help(self.item), id="signoff-help", markup=False)
            yield Static("", id="status", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Sign off", variant="primary", id="signoff-save")
                yield Button("Cancel", id="signoff-cancel")
        yield SteadyFooter()

    @on(Input.Submitted, "#signoff-by")
    def _next_field(self) -> None:
        # At once, not after a refresh: keys typed after enter belong to the note.
        self.set_focus(self.query_one("#signoff-note", Input))

    @on(Input.Submitted, "#signoff-note")
    @on(Button.Pressed, "#signoff-save")
    def _submit(self) -> None:
        by = self.query_one("#signoff-by", Input).value.strip()
        note = self.query_one("#signoff-note", Input).value.strip()
        self._set_text("#signoff-by-error", "" if by else "a name is required")
        if not by:
            self.query_one("#signoff-by", Input).focus()
            return
        self.query_one("#signoff-save", Button).disabled = True
        self._set_text("#status", "Recording…")
        self.save(by, note)

    @on(Button.Pressed, "#signoff-cancel")
    def action_cancel(self) -> None:
        """Close without signing (not while a sign-off is being stored)."""
        if not self.query_one("#signoff-save", Button).disabled:
            self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="signoff")
    def save(self, by: str, note: str) -> Signoff:
        """Store the sign-off off the event loop."""
        return self.record(by, note)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "signoff":
            return
        if event.state is WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state is WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, WorkbenchError) else f"unexpected: {error}"
            self.query_one("#signoff-save", Button).disabled = False
            self._set_text("#status", message, error=True)

    def _set_text(self, selector: str, message: str, *, error: bool = False) -> None:
        widget = self.query_one(selector, Static)
        widget.update(message)
        widget.set_class(error, "-error")
        widget.display = bool(message)

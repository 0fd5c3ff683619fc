"""The New Project dialog: a name, a template and a few answers; scaffolds; lists the files."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from workbench import locations
from workbench.core.scaffold import ScaffoldResult, scaffold_project, validate_name
from workbench.core.template_sources import catalogue
from workbench.errors import InvalidName, TargetExists, WorkbenchError
from workbench.tui.focus import DIALOG_KEYS
from workbench.tui.format import display_path
from workbench.tui.widgets.steady_footer import SteadyFooter

DEFAULT_MODEL = "gpt-4o-mini"


class NewProjectModal(ModalScreen[ScaffoldResult | None]):
    """Scaffold a project from a built-in template (agent-service unless another is picked).

    Dismisses with the result.
    """

    DEFAULT_CSS = """
    NewProjectModal .field OptionList {
        width: 1fr;
        height: auto;
        max-height: 6;
    }
    """

    BINDINGS = [Binding("escape", "close", "Close"), *DIALOG_KEYS]
    # Focused as soon as the dialog is composed, so keys typed right after ``n`` land here.
    AUTO_FOCUS = "#name"

    def __init__(self, template: str = "agent-service") -> None:
        super().__init__()
        self.template = template
        self.result: ScaffoldResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New project", id="dialog-title")
            with ContentSwitcher(initial="form", id="pages"):
                with Vertical(id="form"):
                    with Horizontal(classes="field"):
                        yield Label("Name")
                        yield Input(placeholder="acme-support", id="name", compact=True)
                    yield Static("", id="name-error", classes="error", markup=False)
                    with Horizontal(classes="field"):
                        yield Label("Template")
                        yield self._template_list()
                    with Horizontal(classes="field"):
                        yield Label("Description")
                        yield Input(
                            placeholder="(template default)", id="description", compact=True
                        )
                    with Horizontal(classes="field"):
                        yield Label("Default model")
                        yield Input(value=DEFAULT_MODEL, id="model", compact=True)
                    with Horizontal(classes="field"):
                        yield Label("Directory")
                        yield Input(
                            value=display_path(locations.projects_dir()),
                            id="directory",
                            compact=True,
                        )
                    yield Static("", id="status", markup=False)
                with VerticalScroll(id="result"):
                    yield Static("", id="result-text", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="close")
        yield SteadyFooter()

    def _template_list(self) -> OptionList:
        """The built-in templates, one option each: the name, then its one-line description."""
        options = [
            Option(
                Content.assemble((info.name, "bold"), "  ", (info.description, "dim")), id=info.name
            )
            for info in catalogue()
        ]
        listing = OptionList(*options, id="template", compact=True, markup=False)
        names = [option.id for option in options]
        if self.template in names:
            listing.highlighted = names.index(self.template)
        return listing

    @on(OptionList.OptionHighlighted, "#template")
    def _pick_template(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.template = event.option.id

    @on(Input.Changed, "#name")
    def _check_name(self, event: Input.Changed) -> None:
        self._set_error("#name-error", self._name_problem(event.value) if event.value else "")

    @on(Input.Submitted)
    @on(Button.Pressed, "#create")
    def _submit(self) -> None:
        if self.result is not None:
            self.dismiss(self.result)
            return
        name = self.query_one("#name", Input).value.strip()
        problem = self._name_problem(name) if name else "a name is required"
        self._set_error("#name-error", problem)
        if problem:
            self.query_one("#name", Input).focus()
            return
        directory = self.query_one("#directory", Input).value.strip()
        answers = {
            key: value
            for key, value in (
                ("description", self.query_one("#description", Input).value.strip()),
                ("default_model", self.query_one("#model", Input).value.strip()),
            )
            if value
        }
        self.query_one("#create", Button).disabled = True
        self._set_status("Creating…")
        self.scaffold(name, Path(directory) if directory else None, answers)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close the dialog, returning the result if a project was created."""
        if not self.query_one("#create", Button).disabled or self.result is not None:
            self.dismiss(self.result)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def scaffold(self, name: str, directory: Path | None, answers: dict) -> ScaffoldResult:
        """Render the project off the event loop."""
        return scaffold_project(name, template=self.template, directory=directory, answers=answers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, ScaffoldResult):
            self._show_result(event.worker.result)
        elif event.state is WorkerState.ERROR:
            self.query_one("#create", Button).disabled = False
            self._set_status("")
            self._show_error(event.worker.error)

    def _show_result(self, result: ScaffoldResult) -> None:
        self.result = result
        version = f" {result.template_version}" if result.template_version else ""
        lines = [
            f"Created {display_path(result.path)} from {result.template}{version}"
            f" ({len(result.files)} files):",
            *(f"  {relative}" for relative in result.files),
        ]
        self.query_one("#result-text", Static).update("\n".join(lines))
        self.query_one("#pages", ContentSwitcher).current = "result"
        self.query_one("#create", Button).display = False
        close = self.query_one("#close", Button)
        close.label = "Done"
        close.variant = "primary"
        close.focus()

    def _show_error(self, error: BaseException | None) -> None:
        if isinstance(error, InvalidName | TargetExists):
            self._set_error("#name-error", str(error))
        elif isinstance(error, WorkbenchError):
            self._set_status(str(error), error=True)
        else:
            self._set_status(f"unexpected error: {error}", error=True)

    def _set_error(self, selector: str, message: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(message)
        widget.display = bool(message)

    def _set_status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(message)
        status.set_class(error, "-error")
        status.display = bool(message)

    @staticmethod
    def _name_problem(name: str) -> str:
        try:
            validate_name(name)
        except InvalidName as error:
            return str(error)
        return ""

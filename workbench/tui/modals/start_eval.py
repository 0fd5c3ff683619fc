"""The Start Eval dialog: choose the set, the variants, the concurrency and the repeats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from workbench.core.evals.session import SetInfo
from workbench.core.projects import Project
from workbench.tui.focus import DIALOG_KEYS
from workbench.tui.widgets.steady_footer import SteadyFooter


@dataclass(frozen=True)
class StartRequest:
    """What to run: a set, variants (in order), turns in flight per model, repeats per case."""

    set_name: str
    variants: list[str]
    concurrency: int
    repeat: int


@dataclass(frozen=True)
class VariantChoice:
    """A variant the dialog offers, with a one-line description."""

    name: str
    description: str
    selected: bool = True


class VariantList(SelectionList[str]):
    """The variants to run: space toggles one; enter starts the run (it does not untick)."""

    BINDINGS = [Binding("enter", "screen.start", "Start run", show=False)]


class StartEvalModal(ModalScreen[StartRequest | None]):
    """Asks what to run; dismisses with a ``StartRequest``, or ``None`` when cancelled."""

    BINDINGS = [Binding("escape", "close", "Close"), *DIALOG_KEYS]
    AUTO_FOCUS = "#eval-variants"

    def __init__(
        self,
        sets: list[tuple[str, str]],
        variants: list[VariantChoice],
        *,
        default_set: str | None = None,
        concurrency: int = 8,
    ) -> None:
        super().__init__()
        self.sets = sets
        self.variants = variants
        self.default_set = default_set
        self.concurrency = concurrency

    @classmethod
    def for_project(cls, project: Project, sets: list[SetInfo]) -> StartEvalModal:
        """The dialog for ``project``: its loadable sets and its declared variants, all ticked."""
        config = project.config
        choices = [
            VariantChoice(name, v.description or f"prompt {v.prompt} · {v.model}")
            for name, v in config.variants.items()
        ] or [VariantChoice("default", "the current prompt against the mock")]
        default = config.evals.default_set
        return cls(
            [(info.name, Path(info.path).stem) for info in sets if not info.error],
            choices,
            default_set=Path(default).stem if default else None,
            concurrency=config.evals.concurrency or 8,
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Start an eval run", id="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Set")
                yield Select[str](
                    self.sets,
                    value=self._initial_set(),
                    allow_blank=False,
                    id="eval-set",
                    compact=True,
                )
            yield Label("Variants (space toggles, enter starts)", classes="eval-variants-label")
            yield VariantList(
                *(
                    (f"{v.name}  {v.description}".rstrip(), v.name, v.selected)
                    for v in self.variants
                ),
                id="eval-variants",
            )
            with Horizontal(classes="field"):
                yield Label("Concurrency")
                yield Input(
                    str(self.concurrency), type="integer", id="eval-concurrency", compact=True
                )
            with Horizontal(classes="field"):
                yield Label("Repeat")
                yield Input("1", type="integer", id="eval-repeat", compact=True)
            yield Static("", id="eval-error", classes="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="close")
        yield SteadyFooter()

    def _initial_set(self) -> str:
        names = [value for _, value in self.sets]
        return self.default_set if self.default_set in names else names[0]

    def _number(self, selector: str, low: int, high: int, what: str) -> int:
        text = self.query_one(selector, Input).value.strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"{what} must be a whole number from {low} to {high}")
        return int(text)

    def action_start(self) -> None:
        """Start the run with the dialog's choices (enter in the variants list)."""
        self._submit()

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _submit(self) -> None:
        chosen = set(self.query_one("#eval-variants", SelectionList).selected)
        # Keep the declared order: the first variant is the one the others are compared with.
        variants = [v.name for v in self.variants if v.name in chosen]
        try:
            if not variants:
                raise ValueError("choose at least one variant")
            concurrency = self._number("#eval-concurrency", 1, 256, "concurrency")
            repeat = self._number("#eval-repeat", 1, 100, "repeat")
        except ValueError as problem:
            error = self.query_one("#eval-error", Static)
            error.update(str(problem))
            error.display = True
            return
        set_name = str(self.query_one("#eval-set", Select).value)
        self.dismiss(StartRequest(set_name, variants, concurrency, repeat))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close without starting anything."""
        self.dismiss(None)

"""One conversation: the turns of a session oldest first, each input, output and figures."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from workbench.cli.trace_render import format_cost, format_duration, format_start
from workbench.core.live import TraceReader
from workbench.store.trace_browse import SessionTurn
from workbench.tui.widgets.steady_footer import SteadyFooter


def turn_content(number: int, turn: SessionTurn) -> Content:
    """A turn as a few lines: when, status, figures, then what the user said and the reply."""
    row = turn.summary
    error = row.status == "error"
    return Content.assemble(
        (f"#{number} ", "bold"),
        (format_start(row.start_ns), "$text-muted"),
        "  ",
        (row.status, "bold $text-error" if error else "$text-success"),
        (
            f"  {format_duration(row.duration_ms)} · {row.span_count} spans · "
            f"{row.input_tokens}/{row.output_tokens} tokens · {format_cost(row.cost_usd)}"
            f"{' · ' + row.variant if row.variant else ''}",
            "$text-muted",
        ),
        "\n",
        ("user  ", "bold $text-primary"),
        turn.input or Content.styled("(input not recorded)", "$text-muted"),
        "\n",
        ("agent ", "bold $text-success"),
        turn.output or Content.styled("(output not recorded)", "$text-muted"),
    )


class SessionScreen(Screen):
    """The turns of ``session_id`` stitched into one conversation; enter opens a turn's trace."""

    SUB_TITLE = "Session"
    BINDINGS = [Binding("escape,backspace", "back", "Back")]
    DEFAULT_CSS = """
    SessionScreen {
        & > #session-title { height: auto; padding: 0 1; }
        & > #session-turns { height: 1fr; }
    }
    """

    def __init__(self, reader: TraceReader, session_id: str, project: str | None = None) -> None:
        super().__init__()
        self.reader = reader
        self.session_id = session_id
        self.project = project
        self.turns: list[SessionTurn] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading session {self.session_id}…", id="session-title")
        yield OptionList(id="session-turns")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="session")
    def load(self) -> None:
        """Read the session's turns off the event loop."""
        turns = self.reader.session(self.session_id, project=self.project)
        self.app.call_from_thread(self._show, turns)

    def _show(self, turns: list[SessionTurn]) -> None:
        self.turns = turns
        title = self.query_one("#session-title", Static)
        if not turns:
            title.update(f"No traces in session {self.session_id}.")
            return
        cost = sum(turn.summary.cost_usd for turn in turns)
        took = sum(turn.summary.duration_ms for turn in turns)
        errors = sum(turn.summary.status == "error" for turn in turns)
        title.update(
            Content.assemble(
                ("Session ", "bold"),
                (self.session_id, "bold $text-accent"),
                f" · {turns[0].summary.project} · {len(turns)} turns · "
                f"{format_duration(took)} · {format_cost(cost)}",
                (f" · {errors} failed" if errors else "", "$text-error"),
                ("  enter opens a turn's trace", "$text-muted"),
            )
        )
        options = self.query_one(OptionList)
        options.clear_options()
        for number, turn in enumerate(turns, 1):
            options.add_option(Option(turn_content(number, turn), id=turn.summary.trace_id))
            options.add_option(None)  # a separator line between turns
        options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        from workbench.tui.screens.trace_view import TraceViewScreen

        if event.option.id:
            self.app.push_screen(TraceViewScreen(event.option.id, self.reader))

    def action_back(self) -> None:
        """Back to the trace list."""
        self.app.pop_screen()

"""One eval case side by side: A's and B's output with the differences, verdicts and figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from workbench.core.evals_view import CaseDetail, EvalReader, word_diff
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.case_compare import ADDED, REMOVED, CasePane
from workbench.tui.widgets.steady_footer import SteadyFooter

if TYPE_CHECKING:
    from workbench.core.live import TraceReader


class EvalCaseScreen(SectionScreen):
    """Case ``case_ids[index]`` of ``run_id``: the first variant (A) beside another (B)."""

    SUB_TITLE = "Eval case"
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("t", "trace", "Open trace"),
        Binding("v", "next_variant", "Other B"),
        Binding("r", "next_repeat", "Next repeat"),
        Binding("n", "step(1)", "Next case"),
        Binding("p", "step(-1)", "Previous case"),
        Binding("left", "focus_side('a')", "A", show=False),
        Binding("right", "focus_side('b')", "B", show=False),
    ]

    def __init__(self, reader: EvalReader, run_id: str, case_ids: list[str], index: int) -> None:
        super().__init__()
        self.reader = reader
        self.run_id = run_id
        self.case_ids = case_ids
        self.index = index
        self.detail: CaseDetail | None = None
        self.b_index = 1
        self.repeat = 0
        self._traces: TraceReader | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading {self.case_ids[self.index]}…", id="case-title")
        yield Static("", id="case-input")
        with Horizontal(id="case-body"):
            yield CasePane(id="case-a")
            yield CasePane(id="case-b")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#case-a").focus()
        self.load(self.case_ids[self.index])

    @work(thread=True, exclusive=True, exit_on_error=False, group="eval-case")
    def load(self, case_id: str) -> CaseDetail | None:
        """Read the case's results for every variant off the event loop."""
        return self.reader.case(self.run_id, case_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "eval-case" and event.state is WorkerState.SUCCESS:
            self.detail = event.worker.result
            self.b_index = (
                min(self.b_index, max(1, len(self.detail.variants) - 1)) if (self.detail) else 1
            )
            self._show()
        elif event.state is WorkerState.ERROR and event.worker.group == "eval-case":
            self.notify(str(event.worker.error), title="Could not read the case", severity="error")
        elif (
            event.worker.group == "eval-trace"
            and event.state is WorkerState.SUCCESS
            and event.worker.result is not None
        ):
            from workbench.tui.screens.trace_view import TraceViewScreen

            trace_id, reader = event.worker.result
            self.app.push_screen(TraceViewScreen(trace_id, reader))

    def _show(self) -> None:
        self.refresh_bindings()
        title = self.query_one("#case-title", Static)
        detail = self.detail
        if detail is None:
            title.update(f"Case {self.case_ids[self.index]} has no results in run {self.run_id}.")
            return
        variants = detail.variants
        name_a = variants[0]
        name_b = variants[self.b_index] if len(variants) > 1 else None
        repeats = f" · repeat {self.repeat + 1}/{detail.repeats}" if detail.repeats > 1 else ""
        title.update(
            Content.assemble(
                (detail.case_id, "bold"),
                f" · {detail.category} · run {detail.run_id}{repeats}"
                f" · case {self.index + 1} of {len(self.case_ids)}",
                (f" · {name_a} vs {name_b}" if name_b else f" · {name_a}", "bold"),
            )
        )
        shown = detail.input if detail.input is not None else "(input not found in the set)"
        about = f"{detail.description}\n" if detail.description else ""
        self.query_one("#case-input", Static).update(
            Content.assemble(("Input ", "bold $text-primary"), about, shown)
        )
        side_a = detail.side(name_a, self.repeat)
        side_b = detail.side(name_b, self.repeat) if name_b else None
        text_a = side_a.output if side_a else ""
        text_b = side_b.output if side_b else ""
        if text_a and text_b:
            left, right = word_diff(text_a, text_b)
        else:  # nothing to compare with: no highlights
            left, right = [(text_a, False)], [(text_b, False)]
        self.query_one("#case-a", CasePane).show(
            side_a, left, changed_style=REMOVED, empty="no result"
        )
        self.query_one("#case-b", CasePane).show(
            side_b, right, changed_style=ADDED, empty="The run has one variant: nothing to compare."
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that would do nothing for this case are left out of the footer.
        if action == "next_variant":
            return self.detail is not None and len(self.detail.variants) > 2
        if action == "next_repeat":
            return self.detail is not None and self.detail.repeats > 1
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        """Back to the results matrix."""
        self.app.pop_screen()

    def action_focus_side(self, side: str) -> None:
        """Focus side A or B."""
        self.query_one(f"#case-{side}").focus()

    def action_next_variant(self) -> None:
        """Compare A with the next of the other variants."""
        if self.detail is not None and len(self.detail.variants) > 2:
            self.b_index = self.b_index % (len(self.detail.variants) - 1) + 1
            self._show()

    def action_next_repeat(self) -> None:
        """Show the next repeat of the case."""
        if self.detail is not None and self.detail.repeats > 1:
            self.repeat = (self.repeat + 1) % self.detail.repeats
            self._show()

    def action_step(self, step: int) -> None:
        """Open the next (or previous) case of the matrix."""
        index = self.index + step
        if 0 <= index < len(self.case_ids):
            self.index, self.repeat = index, 0
            self.load(self.case_ids[index])

    def action_trace(self) -> None:
        """Open the trace of the focused side's result (A unless B has focus)."""
        focused = self.focused if isinstance(self.focused, CasePane) else None
        pane = focused or self.query_one("#case-a", CasePane)
        if pane.side is None or not pane.side.trace_id:
            self.notify("This result has no trace.", severity="warning")
            return
        self.open_trace(pane.side.trace_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="eval-trace")
    def open_trace(self, trace_id: str) -> tuple[str, TraceReader]:
        """Open a trace reader off the event loop; the trace view is pushed when it is ready."""
        from workbench.core.live import TraceReader

        if self._traces is None:
            self._traces = TraceReader()
        return trace_id, self._traces

    def on_unmount(self) -> None:
        if self._traces is not None:
            self._traces.close()

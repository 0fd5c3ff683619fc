"""One trace: its spans as a waterfall beside the detail of the span under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static

from workbench.cli.trace_render import format_duration, format_start, trace_cost
from workbench.core.live import TraceReader, gc_paused
from workbench.core.telemetrymodels import LogRecord
from workbench.core.tracemodels import SpanRecord, TraceDetail
from workbench.tui.widgets.span_detail import SpanDetail
from workbench.tui.widgets.steady_footer import SteadyFooter
from workbench.tui.widgets.waterfall import Waterfall, span_order

# How often an open trace is checked for spans that arrived since it was read.
LIVE_SECONDS = 0.5


def trace_title(detail: TraceDetail) -> Text:
    """One line about the trace: name, id, project, start, status and totals."""
    return Text.assemble(
        (detail.name, "bold"),
        "  ",
        (detail.status, "bold"),
        f"  {detail.span_count} spans · {format_duration(detail.duration_ms)} · "
        f"in {detail.input_tokens} / out {detail.output_tokens} tokens · "
        f"{trace_cost(detail)}  ·  {detail.project}  {format_start(detail.start_ns)}"
        f"  {detail.trace_id}",
    )


class TraceViewScreen(Screen):
    """The waterfall of ``trace_id`` (left) and the selected span's detail (right)."""

    SUB_TITLE = "Trace"
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("tab", "switch_pane", "Detail/waterfall", show=False),
    ]

    def __init__(self, trace_id: str, reader: TraceReader) -> None:
        super().__init__()
        self.trace_id = trace_id
        self.reader = reader
        self.detail: TraceDetail | None = None
        self._checking = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading trace {self.trace_id}…", id="trace-title")
        with Horizontal(id="trace-body"):
            yield Waterfall(id="waterfall")
            yield SpanDetail(id="span-detail")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one(Waterfall).focus()
        self.load()
        # Spans are stored as they arrive: a trace still running fills in while it is open.
        self.set_interval(LIVE_SECONDS, self._follow)

    def _follow(self) -> None:
        if self.is_current and not self._checking:
            self._checking = True
            self.check_for_spans(self.trace_id, self.detail)

    @work(thread=True, exit_on_error=False, group="trace-live")
    def check_for_spans(self, trace_id: str, shown: TraceDetail | None) -> None:
        """Read the trace again when spans arrived since it was read (a cheap summary check)."""
        try:
            key = shown.trace_id if shown is not None else trace_id
            version = self.reader.trace_version(key)
            if version is not None and (
                shown is None or version != (shown.span_count, shown.updated_ns)
            ):
                self.app.call_from_thread(self._reload_live, trace_id)
        finally:
            self._checking = False

    def _reload_live(self, trace_id: str) -> None:
        if trace_id == self.trace_id:  # not another trace opened meanwhile
            self.load()

    def open(self, trace_id: str) -> None:
        """Show another trace in this (already composed) screen."""
        self.trace_id = trace_id
        self.detail = None
        waterfall = self.query_one(Waterfall)
        waterfall.collapsed.clear()
        waterfall.show(None)
        self.query_one("#trace-title", Static).update(f"Loading trace {trace_id}…")
        waterfall.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="trace-view")
    def load(self) -> None:
        """Read the trace off the event loop."""
        detail = self.reader.trace_outline(self.trace_id)
        with gc_paused():
            ordered = span_order(detail.spans) if detail is not None else None
        self.app.call_from_thread(self._show, detail, ordered)

    def _show(
        self, detail: TraceDetail | None, ordered: list[tuple[SpanRecord, int]] | None
    ) -> None:
        title = self.query_one("#trace-title", Static)
        if detail is None:
            title.update(f"Trace {self.trace_id} is not in the store.")
            return
        self.detail = detail
        title.update(trace_title(detail))
        title.set_class(detail.status == "error", "-error")
        with gc_paused():  # laying out 10,000 rows
            self.query_one(Waterfall).show(detail, ordered)

    @on(Waterfall.SpanHighlighted)
    def _highlighted(self, event: Waterfall.SpanHighlighted) -> None:
        span = event.span
        if span is None:
            self.query_one(SpanDetail).show(None)
            return
        # The waterfall holds outlines; the detail pane reads the whole span.
        self.load_span(span.trace_id, span.span_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="span-detail")
    def load_span(self, trace_id: str, span_id: str) -> None:
        """Read one span with its attributes, events and logs."""
        span = self.reader.span(trace_id, span_id)
        logs = self.reader.span_logs(trace_id, span_id) if span is not None else []
        self.app.call_from_thread(self._show_span, span_id, span, logs)

    def _show_span(self, span_id: str, span: SpanRecord | None, logs: list[LogRecord]) -> None:
        current = self.query_one(Waterfall).current
        if current is not None and current.span_id == span_id:
            self.query_one(SpanDetail).show(span, logs)

    def action_back(self) -> None:
        """Back to the trace list."""
        self.app.pop_screen()

    def action_switch_pane(self) -> None:
        """Move focus between the waterfall and the detail pane."""
        waterfall = self.query_one(Waterfall)
        (self.query_one(SpanDetail) if waterfall.has_focus else waterfall).focus()

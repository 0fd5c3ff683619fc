"""The trace list: newest first, paged in from the store as the cursor nears the end."""

from __future__ import annotations

from functools import partial

from rich.style import Style
from rich.text import Text
from textual.message import Message

from workbench.cli.trace_render import format_cost, format_duration, format_start
from workbench.core.live import TraceFilter
from workbench.core.tracemodels import TraceSummary
from workbench.tui.widgets.paged_list import PagedRowList

# (title, width, right-aligned); the name column takes what is left.
_COLUMNS = (
    ("Started", 19, False),
    ("Status", 6, False),
    ("Project", 16, False),
    ("Name", 0, False),
    ("Duration", 9, True),
    ("Spans", 6, True),
    ("Tokens in/out", 14, True),
    ("Cost", 10, True),
    ("Model", 20, False),
)
_MIN_NAME = 16


def _widths(width: int) -> list[int]:
    fixed = [w for _, w, _ in _COLUMNS]
    gaps = len(_COLUMNS) - 1
    spare = width - sum(fixed) - gaps
    if spare < _MIN_NAME:  # narrow terminal: the model column goes first
        fixed[-1] = 0
        spare += _COLUMNS[-1][1] + 1
    fixed[3] = max(_MIN_NAME, spare)
    return fixed


def _row(cells: list[tuple[str, str | Style]], width: int) -> Text:
    text = Text()
    for (title, _, right), size, (value, style) in zip(
        _COLUMNS, _widths(width), cells, strict=True
    ):
        del title
        if size == 0:
            continue
        cell = value if len(value) <= size else value[: max(0, size - 1)] + "…"
        cell = cell.rjust(size) if right else cell.ljust(size)
        text.append(cell + " ", style)
    return text


def merge_page(
    page: list[TraceSummary],
    rows: list[TraceSummary],
    changes: list[TraceSummary],
    filters: TraceFilter,
    limit: int,
    has_more: bool,
) -> tuple[list[TraceSummary], bool]:
    """The list after a live update: a fresh first ``page`` over the rows already loaded.

    Rows loaded past the first page stay (with ``changes`` applied in place), so a
    user deep in the list keeps their place; returns the rows and whether more follow.
    """
    if len(page) < limit:
        return page, False
    last = page[-1].cursor
    changed = {change.trace_id: change for change in changes if filters.matches(change)}
    rest = [changed.get(row.trace_id, row) for row in rows if row.cursor < last]
    return page + rest, has_more if rest else True


class TraceList(PagedRowList[TraceSummary]):
    """Trace summaries, one row each; posts ``NeedMore`` when the next page should load."""

    DEFAULT_CSS = """
    TraceList {
        & > .trace-list--error { color: $text-error; }
        & > .trace-list--ok { color: $text-success; }
        & > .trace-list--dim { color: $text-muted; }
        & > .trace-list--cost { color: $text-success; }
        & > .trace-list--model { color: $text-accent; }
    }
    """
    COMPONENT_CLASSES = {
        "trace-list--error",
        "trace-list--ok",
        "trace-list--dim",
        "trace-list--cost",
        "trace-list--model",
    }

    class NeedMore(Message):
        """Load the page that follows ``before`` (the last row's cursor)."""

        def __init__(self, before: tuple[int, str]) -> None:
            super().__init__()
            self.before = before

    @staticmethod
    def page_key(row: TraceSummary) -> tuple[int, str]:
        """The traces before this one's keyset cursor make the next page."""
        return row.cursor

    @staticmethod
    def header(width: int) -> Text:
        """The column titles, aligned with the rows."""
        return _row([(title, "bold") for title, _, _ in _COLUMNS], width)

    def set_rows(self, rows: list[TraceSummary], has_more: bool) -> None:
        """Show ``rows`` (a fresh first page), cursor on the first."""
        self._show_first_page(rows, has_more)

    def replace(self, rows: list[TraceSummary], has_more: bool) -> None:
        """Show ``rows`` after a live update, keeping the cursor on its trace and the view still.

        With the cursor on the first row the list follows the newest trace.
        """
        old = self.current
        old_cursor, old_scroll = self.cursor, self.scroll_offset.y
        self._load(rows, has_more, ask_again=False)
        if old is None or old_cursor == 0:
            self.cursor = 0
            return
        index = next((i for i, row in enumerate(rows) if row.trace_id == old.trace_id), None)
        if index is None:
            self.cursor = min(old_cursor, max(0, len(rows) - 1))
            return
        self.scroll_to(y=old_scroll + index - old_cursor, animate=False, immediate=True)
        self.cursor = index

    def render_row(self, index: int, width: int) -> Text:
        if index >= len(self.rows):
            return Text(
                "  loading more…", self.get_component_rich_style("trace-list--dim", partial=True)
            )
        row = self.rows[index]
        style = partial(self.get_component_rich_style, partial=True)
        error = row.status == "error"
        return _row(
            [
                (format_start(row.start_ns), style("trace-list--dim")),
                (row.status, style("trace-list--error" if error else "trace-list--ok")),
                (row.project, Style()),
                (row.name, style("trace-list--error") if error else Style(bold=True)),
                (format_duration(row.duration_ms), Style()),
                (str(row.span_count), Style()),
                (f"{row.input_tokens}/{row.output_tokens}", Style()),
                (format_cost(row.cost_usd), style("trace-list--cost")),
                (",".join(row.models), style("trace-list--model")),
            ],
            width,
        )

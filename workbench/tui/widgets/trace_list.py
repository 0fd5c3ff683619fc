"""The trace list: newest first, paged in from the store as the cursor nears the end."""

from __future__ import annotations

from functools import partial

from rich.style import Style
from rich.text import Text
from textual.message import Message

from workbench.cli.trace_render import format_cost, format_duration, format_start
from workbench.core.live import TraceFilter
from workbench.core.tracemodels import TraceSummary
from workbench.tui.widgets.row_list import RowList

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
# Ask for the next page this many rows before the cursor or the view reaches the end.
PREFETCH = 40


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


class TraceList(RowList):
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

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[TraceSummary] = []
        self.has_more = False
        self._asked: tuple[int, str] | None = None

    @staticmethod
    def header(width: int) -> Text:
        """The column titles, aligned with the rows."""
        return _row([(title, "bold") for title, _, _ in _COLUMNS], width)

    @property
    def current(self) -> TraceSummary | None:
        """The trace under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[TraceSummary], has_more: bool) -> None:
        """Show ``rows`` (a fresh first page), cursor on the first."""
        self.rows = rows
        self.has_more = has_more
        self._asked = None
        self.set_row_count(len(rows) + (1 if has_more else 0))
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self._maybe_more()

    def append(self, rows: list[TraceSummary], has_more: bool) -> None:
        """Add the next page."""
        self.rows.extend(rows)
        self.has_more = has_more
        self._asked = None
        self.set_row_count(len(self.rows) + (1 if has_more else 0))
        self._maybe_more()

    def replace(self, rows: list[TraceSummary], has_more: bool) -> None:
        """Show ``rows`` after a live update, keeping the cursor on its trace and the view still.

        With the cursor on the first row the list follows the newest trace.
        """
        old = self.current
        old_cursor, old_scroll = self.cursor, self.scroll_offset.y
        self.rows = rows
        self.has_more = has_more
        self.set_row_count(len(rows) + (1 if has_more else 0))
        if old is None or old_cursor == 0:
            self.cursor = 0
            return
        index = next((i for i, row in enumerate(rows) if row.trace_id == old.trace_id), None)
        if index is None:
            self.cursor = min(old_cursor, max(0, len(rows) - 1))
            return
        self.scroll_to(y=old_scroll + index - old_cursor, animate=False, immediate=True)
        self.cursor = index

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        self._maybe_more()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._maybe_more()

    def _maybe_more(self) -> None:
        if not self.has_more or not self.rows:
            return
        bottom = max(self.cursor, int(self.scroll_offset.y) + self.size.height)
        cursor = self.rows[-1].cursor
        if bottom >= len(self.rows) - PREFETCH and self._asked != cursor:
            self._asked = cursor
            self.post_message(self.NeedMore(cursor))

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

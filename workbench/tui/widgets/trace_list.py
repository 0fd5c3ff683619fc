"""The trace list: newest first, paged in from the store as the cursor nears the end."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.style import Style
from rich.text import Text
from textual.message import Message

from workbench.cli.trace_render import format_cost, format_duration, format_start
from workbench.core.live import TraceFilter
from workbench.core.timerange import duration_bar
from workbench.core.tracemodels import TraceSummary
from workbench.tui.widgets.paged_list import PagedRowList


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its title and width; ``drop`` orders which go first when the list is narrow
    (highest first, 0 never); a ``flex`` column takes a share of the width left over."""

    title: str
    width: int
    right: bool = False
    drop: int = 0
    flex: int = 0
    most: int = 0  # a flex column's widest (0: no limit)


_COLUMNS = (
    Column("Started", 19, drop=3),
    Column("Status", 6),
    Column("Project", 16, drop=5),
    Column("Session", 14, drop=4),
    Column("Name", 20, flex=1, most=30),
    Column("Input → Output", 20, flex=2),
    Column("Duration", 18, right=False, drop=1),
    Column("Spans", 5, right=True, drop=7),
    Column("Tokens in/out", 13, right=True, drop=6),
    Column("Cost", 10, right=True, drop=2),
    Column("Model", 18, drop=8),
)
_BAR = 8


def _widths(width: int) -> list[int]:
    """Each column's width at ``width`` cells (0: hidden), dropping low-value columns first."""
    shown = [True] * len(_COLUMNS)
    by_drop = sorted((i for i, c in enumerate(_COLUMNS) if c.drop), key=lambda i: -_COLUMNS[i].drop)
    while True:
        columns = [c for c, on in zip(_COLUMNS, shown, strict=True) if on]
        need = sum(c.width for c in columns) + len(columns)
        if need <= width or not by_drop:
            break
        shown[by_drop.pop(0)] = False
    spare = max(0, width - need)
    widths = [c.width if on else 0 for c, on in zip(_COLUMNS, shown, strict=True)]
    flex = [i for i, c in enumerate(_COLUMNS) if c.flex and shown[i]]
    total = sum(_COLUMNS[i].flex for i in flex)
    for i in flex:  # capped columns first, so what they leave goes to the others
        column = _COLUMNS[i]
        if column.most:
            extra = min(column.most - column.width, spare * column.flex // total)
            widths[i] += extra
            spare -= extra
            total -= column.flex
    for i in flex:
        if not _COLUMNS[i].most and total:
            widths[i] += spare * _COLUMNS[i].flex // total
    return widths


def _row(cells: list[tuple[str, str | Style]], width: int) -> Text:
    text = Text()
    for column, size, (value, style) in zip(_COLUMNS, _widths(width), cells, strict=True):
        if size == 0:
            continue
        cell = value if len(value) <= size else value[: max(0, size - 1)] + "…"
        cell = cell.rjust(size) if column.right else cell.ljust(size)
        text.append(cell + " ", style)
    return text


def _preview(row: TraceSummary) -> str:
    given, got = getattr(row, "input", ""), getattr(row, "output", "")
    if not given and not got:
        return ""
    return f"{given or '–'} → {got or '–'}"


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
        & > .trace-list--bar { color: $text-primary; }
    }
    """
    COMPONENT_CLASSES = {
        "trace-list--error",
        "trace-list--ok",
        "trace-list--dim",
        "trace-list--cost",
        "trace-list--model",
        "trace-list--bar",
    }

    class NeedMore(Message):
        """Load the page that follows ``before`` (the last row's cursor)."""

        def __init__(self, before: tuple[int, str]) -> None:
            super().__init__()
            self.before = before

    @property
    def longest_ms(self) -> float:
        """The longest duration loaded: the duration bars' full length."""
        return max((row.duration_ms for row in self.rows), default=0.0)

    @staticmethod
    def page_key(row: TraceSummary) -> tuple[int, str]:
        """The traces before this one's keyset cursor make the next page."""
        return row.cursor

    @staticmethod
    def header(width: int) -> Text:
        """The column titles, aligned with the rows."""
        return _row([(column.title, "bold") for column in _COLUMNS], width)

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
        bar = duration_bar(row.duration_ms, self.longest_ms, _BAR)
        return _row(
            [
                (format_start(row.start_ns), style("trace-list--dim")),
                (row.status, style("trace-list--error" if error else "trace-list--ok")),
                (row.project, Style()),
                (row.session_id or "–", style("trace-list--dim")),
                (row.name, style("trace-list--error") if error else Style(bold=True)),
                (_preview(row), Style()),
                (f"{format_duration(row.duration_ms):>9} {bar}", style("trace-list--bar")),
                (str(row.span_count), Style()),
                (f"{row.input_tokens}/{row.output_tokens}", Style()),
                (format_cost(row.cost_usd), style("trace-list--cost")),
                (",".join(row.models), style("trace-list--model")),
            ],
            width,
        )

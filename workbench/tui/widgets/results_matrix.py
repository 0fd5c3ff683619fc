"""The results matrix: one row per case, one cell per variant, drawn only while visible."""

from __future__ import annotations

from bisect import bisect_right
from functools import partial

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from workbench.core.evals_view import CaseDetail, MatrixCounts
from workbench.store.evals import MatrixCell, MatrixRow
from workbench.tui.widgets.matrix_expansion import expansion_lines
from workbench.tui.widgets.paged_list import PagedRowList

_CATEGORY = 10
_MIN_CASE = 10
_MARKS = {"pass": "✓", "fail": "✗", "error": "!"}


def _cell_width(name: str) -> int:
    return max(8, min(len(name), 12))


def cell_text(cell: MatrixCell | None) -> str:
    """A cell as shown: ``✓ 1.00``, ``✗ 0.50``, ``! error``; ``✓ 3/4`` over repeats."""
    if cell is None:
        return "·"
    mark = _MARKS.get(cell.status, "?")
    if cell.status == "error" and cell.runs == 1:
        return f"{mark} error"
    if cell.runs > 1:
        return f"{mark} {cell.passes}/{cell.runs}"
    return f"{mark} {cell.score:.2f}"


class ResultsMatrix(PagedRowList[MatrixRow]):
    """Cases × variants; posts ``NeedMore`` when the next page of cases should load.

    ``e`` expands the row under the cursor in place: each variant's output (the changes
    against the first variant highlighted) and its assertions' reasons, read through
    ``NeedDetail`` and given back with ``set_detail``. The cursor moves by rows; the view
    scrolls by lines.
    """

    DEFAULT_CSS = """
    ResultsMatrix {
        overflow-x: hidden;
        scrollbar-gutter: stable;
        & > .results-matrix--pass { color: $text-success; }
        & > .results-matrix--fail { color: $text-error; }
        & > .results-matrix--error { color: $text-warning; }
        & > .results-matrix--dim { color: $text-muted; }
        & > .results-matrix--changed { background: $warning-muted; color: $text; }
    }
    """
    COMPONENT_CLASSES = {
        "results-matrix--pass",
        "results-matrix--fail",
        "results-matrix--error",
        "results-matrix--dim",
        "results-matrix--changed",
    }
    BINDINGS = [Binding("e", "toggle_expand", "Expand")]

    class NeedDetail(Message):
        """Read case ``case_id``'s results for its expanded row."""

        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    class NeedMore(Message):
        """Load the cases after case index ``after``."""

        def __init__(self, after: int) -> None:
            super().__init__()
            self.after = after

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.variants: list[str] = []
        # Expanded case ids, with their detail once read (None while reading).
        self.expanded: dict[str, CaseDetail | None] = {}
        self._extra: dict[tuple[str, int], list[Text]] = {}
        self._starts: list[int] = []

    @staticmethod
    def page_key(row: MatrixRow) -> int:
        """The cases after this one's index make the next page."""
        return row.case_index

    def header(self, width: int) -> Text:
        """The column titles, aligned with the rows."""
        titles = [("Case", False), ("Category", False)]
        titles += [(name, True) for name in self.variants]
        return self._line([(title, Style(bold=True), right) for title, right in titles], width)

    def _widths(self, width: int) -> list[int]:
        cells = [_cell_width(name) for name in self.variants]
        spare = width - _CATEGORY - sum(cells) - (len(cells) + 2)
        category = _CATEGORY if spare >= _MIN_CASE else 0
        if not category:
            spare += _CATEGORY + 1
        return [max(_MIN_CASE, spare), category, *cells]

    def _line(self, cells: list[tuple[str, Style, bool]], width: int) -> Text:
        text = Text()
        for size, (value, style, right) in zip(self._widths(width), cells, strict=True):
            if size == 0:
                continue
            cell = value if len(value) <= size else value[: max(0, size - 1)] + "…"
            text.append((cell.rjust(size) if right else cell.ljust(size)) + " ", style)
        return text

    def status(
        self, counts: MatrixCounts, failures_only: bool, different_only: bool, search: str = ""
    ) -> str:
        """A line on what the run holds and, when filtered, how many rows show."""
        text = f"{counts.cases} cases · {counts.failing} failing · {counts.different} different"
        filters = [
            name
            for name, active in (
                ("failures only", failures_only),
                ("different only", different_only),
                (f"matching {search!r}", bool(search)),
            )
            if active
        ]
        if not filters:
            return text
        shown = f"{len(self.rows)}{'+' if self.has_more else ''}"
        return f"{shown} shown ({', '.join(filters)}) · {text}"

    def show(self, variants: list[str], rows: list[MatrixRow], has_more: bool) -> None:
        """Show a fresh first page of ``rows``, cursor on the first (rows folded)."""
        self.variants = variants
        self.collapse_all()
        self._show_first_page(rows, has_more)

    def replace(self, variants: list[str], rows: list[MatrixRow], has_more: bool) -> None:
        """Show ``rows`` after a live update, keeping the cursor on its case."""
        old = self.current
        self.variants = variants
        self._load(rows, has_more)
        if old is not None:
            index = next((i for i, r in enumerate(rows) if r.case_id == old.case_id), None)
            if index is not None and index != self.cursor:
                self.cursor = index
        self.refresh()

    def render_row(self, index: int, width: int) -> Text:
        # Columns fit the area left of the scrollbar, as the header does.
        width = min(width, self.scrollable_content_region.width or width)
        style = partial(self.get_component_rich_style, partial=True)
        if index >= len(self.rows):
            return Text("  loading more…", style("results-matrix--dim"))
        row = self.rows[index]
        cells: list[tuple[str, Style, bool]] = [
            (row.case_id, Style(bold=row.failing), False),
            (row.category, style("results-matrix--dim"), False),
        ]
        for name in self.variants:
            cell = row.cells.get(name)
            kind = cell.status if cell is not None else "dim"
            cells.append((cell_text(cell), style(f"results-matrix--{kind}"), True))
        return self._line(cells, width)

    # Expanded rows: a row is one line plus its expansion's; the cursor counts rows.

    def _expansion(self, index: int, width: int) -> list[Text]:
        if index >= len(self.rows) or self.rows[index].case_id not in self.expanded:
            return []
        case_id = self.rows[index].case_id
        detail = self.expanded[case_id]
        key = (case_id, width if detail is not None else -1)
        if key not in self._extra:
            self._extra[key] = expansion_lines(detail, width, self.app.console, self._kind_style)
        return self._extra[key]

    def _kind_style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"results-matrix--{kind}", partial=True)

    def _relayout(self) -> None:
        """Where each row starts, in lines; the virtual height is every row and expansion."""
        width = self.scrollable_content_region.width or self.size.width
        starts, line = [], 0
        for index in range(self.row_count):
            starts.append(line)
            line += 1 + len(self._expansion(index, width))
        self._starts = starts
        self.virtual_size = Size(0, line)

    def set_row_count(self, count: int) -> None:
        super().set_row_count(count)
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        self._relayout()

    def _row_at(self, line: int) -> tuple[int, int]:
        """The row at virtual line ``line`` and the line's offset within it."""
        if not self._starts:
            return line, 0
        index = bisect_right(self._starts, line) - 1
        return index, line - self._starts[index]

    def render_line(self, y: int) -> Strip:
        if not self.expanded:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index, offset = self._row_at(scroll_y + y)
        if index >= self.row_count or index < 0:
            return Strip.blank(width, base)
        if offset == 0:
            text = self.render_row(index, width)
        else:
            lines = self._expansion(index, self.scrollable_content_region.width or width)
            text = lines[offset - 1].copy() if offset - 1 < len(lines) else Text()
        text.no_wrap = True
        text.overflow = "crop"
        style = base
        if index == self.cursor and offset == 0:
            style = base + self.get_component_rich_style("row-list--cursor", partial=True)
        text.stylize_before(style)
        text.pad_right(width)
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, style).simplify()

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        if self.expanded and self._starts and new < len(self._starts):
            height = 1 + len(self._expansion(new, self.scrollable_content_region.width))
            self.scroll_to_region(
                Region(0, self._starts[new], 1, min(height, max(1, self.size.height))),
                animate=False,
                immediate=True,
            )

    def on_click(self, event: events.Click) -> None:
        if not self.expanded:
            super().on_click(event)
            return
        index, _ = self._row_at(self.scroll_offset.y + event.y)
        if 0 <= index < self.row_count:
            if index == self.cursor:
                self.action_select()
            else:
                self.cursor = index

    def action_toggle_expand(self) -> None:
        """Show (or hide) the outputs and assertion reasons of the case under the cursor."""
        row = self.current
        if row is None:
            return
        if row.case_id in self.expanded:
            del self.expanded[row.case_id]
        else:
            self.expanded[row.case_id] = None
            self.post_message(self.NeedDetail(row.case_id))
        self._extra = {k: v for k, v in self._extra.items() if k[0] in self.expanded}
        self._relayout()
        self.watch_cursor(self.cursor, self.cursor)
        self.refresh()

    def set_detail(self, case_id: str, detail: CaseDetail | None) -> None:
        """The results of an expanded case, read (``None``: the case has none)."""
        if case_id not in self.expanded:
            return
        self.expanded[case_id] = detail
        self._extra = {k: v for k, v in self._extra.items() if k[0] != case_id}
        self._relayout()
        self.refresh()

    def collapse_all(self) -> None:
        """Fold every expanded row (another run or filter is shown)."""
        self.expanded.clear()
        self._extra.clear()

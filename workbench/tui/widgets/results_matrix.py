"""The results matrix: one row per case, one cell per variant, drawn only while visible."""

from __future__ import annotations

from functools import partial

from rich.style import Style
from rich.text import Text
from textual.message import Message

from workbench.core.evals_view import MatrixCounts
from workbench.store.evals import MatrixCell, MatrixRow
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
    """Cases × variants; posts ``NeedMore`` when the next page of cases should load."""

    DEFAULT_CSS = """
    ResultsMatrix {
        overflow-x: hidden;
        scrollbar-gutter: stable;
        & > .results-matrix--pass { color: $text-success; }
        & > .results-matrix--fail { color: $text-error; }
        & > .results-matrix--error { color: $text-warning; }
        & > .results-matrix--dim { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES = {
        "results-matrix--pass",
        "results-matrix--fail",
        "results-matrix--error",
        "results-matrix--dim",
    }

    class NeedMore(Message):
        """Load the cases after case index ``after``."""

        def __init__(self, after: int) -> None:
            super().__init__()
            self.after = after

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.variants: list[str] = []

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

    def status(self, counts: MatrixCounts, failures_only: bool, different_only: bool) -> str:
        """A line on what the run holds and, when filtered, how many rows show."""
        text = f"{counts.cases} cases · {counts.failing} failing · {counts.different} different"
        filters = [
            name
            for name, active in (
                ("failures only", failures_only),
                ("different only", different_only),
            )
            if active
        ]
        if not filters:
            return text
        shown = f"{len(self.rows)}{'+' if self.has_more else ''}"
        return f"{shown} shown ({', '.join(filters)}) · {text}"

    def show(self, variants: list[str], rows: list[MatrixRow], has_more: bool) -> None:
        """Show a fresh first page of ``rows``, cursor on the first."""
        self.variants = variants
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

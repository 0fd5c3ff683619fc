"""A row list whose rows arrive a page at a time, asking for the next page near the end."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Generic, TypeVar

from textual.message import Message

from workbench.tui.widgets.row_list import RowList

# Ask for the next page this many rows before the cursor or the view reaches the end.
PREFETCH = 40

RowT = TypeVar("RowT")


class PagedRowList(RowList, Generic[RowT]):
    """``rows`` loaded so far, plus a last "loading more" row while ``has_more``.

    Subclasses define ``NeedMore`` (a message taking the last row's key) and
    ``page_key``; the list posts ``NeedMore`` once per key as the end comes near.
    """

    # A Message subclass whose constructor takes the page key (typed per subclass).
    NeedMore: ClassVar[Callable[[Any], Message]]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[RowT] = []
        self.has_more = False
        self._asked: Hashable | None = None

    @staticmethod
    def page_key(row: RowT) -> Hashable:
        """What ``NeedMore`` carries for the page that follows ``row`` (override)."""
        raise NotImplementedError

    @property
    def current(self) -> RowT | None:
        """The row under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def _load(self, rows: list[RowT], has_more: bool, *, ask_again: bool = True) -> None:
        """Hold ``rows``; ``ask_again`` forgets which page was last asked for."""
        self.rows = rows
        self.has_more = has_more
        if ask_again:
            self._asked = None
        self.set_row_count(len(rows) + (1 if has_more else 0))

    def _show_first_page(self, rows: list[RowT], has_more: bool) -> None:
        """Show a fresh first page, cursor and view at the top."""
        self._load(rows, has_more)
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self._maybe_more()

    def append(self, rows: list[RowT], has_more: bool) -> None:
        """Add the next page."""
        self.rows.extend(rows)
        self._load(self.rows, has_more)
        self._maybe_more()

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
        key = self.page_key(self.rows[-1])
        if bottom >= len(self.rows) - PREFETCH and self._asked != key:
            self._asked = key
            self.post_message(type(self).NeedMore(key))

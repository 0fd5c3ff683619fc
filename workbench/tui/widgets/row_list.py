"""A cursor list that renders only its visible rows (Line API), for lists of any length."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class RowList(ScrollView, can_focus=True):
    """Rows ``0 .. row_count-1``, drawn by ``render_row`` only while on screen.

    Subclasses keep their own data, call ``set_row_count`` when it changes, and
    implement ``render_row``. The cursor posts ``Highlighted``; enter or a click
    on the cursor row posts ``Selected``.
    """

    DEFAULT_CSS = """
    RowList {
        height: 1fr;
        background: $surface;
        & > .row-list--cursor {
            background: $block-cursor-blurred-background;
        }
        &:focus > .row-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"row-list--cursor"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to row ``index``."""

        def __init__(self, row_list: RowList, index: int) -> None:
            super().__init__()
            self.row_list = row_list
            self.index = index

        @property
        def control(self) -> RowList:
            return self.row_list

    class Selected(Highlighted):
        """Row ``index`` was chosen (enter or click)."""

    class WidthChanged(Message):
        """The rows' width changed (a resize, a scrollbar shown or hidden): a header drawn
        apart from the rows must be drawn again at ``width``."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._row_count = 0
        self._posted_width = 0

    @property
    def row_width(self) -> int:
        """The cells a row has: the list's width less its scrollbar, when one shows."""
        return self.scrollable_content_region.width or self.size.width

    def _note_width(self, width: int) -> None:
        if width != self._posted_width:
            self._posted_width = width
            self.post_message(self.WidthChanged(width))

    @property
    def row_count(self) -> int:
        """How many rows there are."""
        return self._row_count

    def set_row_count(self, count: int) -> None:
        """Tell the list how many rows there are now, and redraw."""
        self._row_count = count
        # Rows are drawn to the visible width: nothing to scroll sideways.
        self.virtual_size = Size(0, count)
        if count and self.cursor >= count:
            self.cursor = count - 1
        self.refresh()

    def render_row(self, index: int, width: int) -> Text:
        """The text of row ``index``, at most ``width`` cells wide (override)."""
        return Text()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.row_width
        self._note_width(width)
        base = self.rich_style
        if index >= self._row_count:
            return Strip.blank(width, base)
        text = self.render_row(index, width)
        text.no_wrap = True
        text.overflow = "crop"
        style: Style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("row-list--cursor", partial=True)
        text.stylize_before(style)
        text.pad_right(width)
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, style).simplify()

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, self._row_count - 1)) if self._row_count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        if self._row_count:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
            self.post_message(self.Highlighted(self, new))
        self.refresh()

    def action_cursor(self, step: int) -> None:
        """Move the cursor by ``step`` rows."""
        self.cursor += step

    def action_page(self, direction: int) -> None:
        """Move the cursor by one screenful."""
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        """Go to the first row."""
        self.cursor = 0

    def action_last(self) -> None:
        """Go to the last row."""
        self.cursor = self._row_count - 1

    def action_select(self) -> None:
        """Choose the row under the cursor."""
        if self._row_count:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self._row_count:
            if index == self.cursor:
                self.action_select()
            else:
                self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, self._row_count)
        self._note_width(self.row_width)

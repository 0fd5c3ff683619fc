"""A trace's spans as a waterfall: a tree of names beside bars drawn to scale in time."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from operator import attrgetter

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from workbench.cli.trace_render import format_duration
from workbench.core.tracemodels import SpanRecord, TraceDetail
from workbench.tui.widgets.row_list import RowList

_KINDS = ("agent", "llm", "tool", "guardrail", "other")


def span_order(spans: list[SpanRecord]) -> list[tuple[SpanRecord, int]]:
    """Spans depth first (parents above children, siblings by start), each with its depth.

    A span whose parent is missing (not arrived yet, or outside the trace) is a root.
    """
    ids = {span.span_id for span in spans}
    children: defaultdict[str | None, list[SpanRecord]] = defaultdict(list)
    # The store returns spans in start order; timsort only checks that.
    for span in sorted(spans, key=attrgetter("start_ns", "span_id")):
        parent = span.parent_id
        children[parent if parent in ids else None].append(span)
    ordered: list[tuple[SpanRecord, int]] = []
    append = ordered.append
    # Iterative, so a very deep trace cannot hit the recursion limit.
    stack = [(span, 0) for span in reversed(children.get(None, []))]
    while stack:
        span, depth = stack.pop()
        append((span, depth))
        below = children.get(span.span_id)
        if below:
            stack.extend((child, depth + 1) for child in reversed(below))
    return ordered


class Waterfall(RowList):
    """One row per span: indented name, duration, and a bar placed and sized to scale.

    Left collapses the span under the cursor, right expands it; ``SpanHighlighted``
    reports the span under the cursor.
    """

    DEFAULT_CSS = """
    Waterfall {
        & > .waterfall--agent { color: $text-secondary; }
        & > .waterfall--llm { color: $text-accent; }
        & > .waterfall--tool { color: $text-primary; }
        & > .waterfall--guardrail { color: $text-warning; }
        & > .waterfall--other { color: $text-muted; }
        & > .waterfall--error { color: $text-error; }
        & > .waterfall--dim { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES = {f"waterfall--{kind}" for kind in (*_KINDS, "error", "dim")}
    BINDINGS = [
        Binding("left,h", "collapse", "Collapse", show=False),
        Binding("right,l", "expand", "Expand", show=False),
    ]

    class SpanHighlighted(Message):
        """The cursor is on ``span`` (None when the trace has no spans)."""

        def __init__(self, span: SpanRecord | None) -> None:
            super().__init__()
            self.span = span

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._ordered: list[tuple[SpanRecord, int]] = []
        self._has_children: set[str] = set()
        self._visible: list[tuple[SpanRecord, int]] = []
        self.collapsed: set[str] = set()
        self._start = 0
        self._total = 1

    @property
    def spans(self) -> list[SpanRecord]:
        """The spans shown, in row order (collapsed subtrees left out)."""
        return [span for span, _ in self._visible]

    @property
    def current(self) -> SpanRecord | None:
        """The span under the cursor."""
        return self._visible[self.cursor][0] if 0 <= self.cursor < len(self._visible) else None

    def show(
        self, detail: TraceDetail | None, ordered: list[tuple[SpanRecord, int]] | None = None
    ) -> None:
        """Show ``detail``'s spans; the cursor stays on the same span when it is still there.

        ``ordered`` is ``span_order(detail.spans)`` when the caller computed it off the
        event loop.
        """
        # On the first row the view follows the trace's root as spans arrive.
        keep = self.current.span_id if self.current and self.cursor else None
        spans = detail.spans if detail is not None else []
        self._ordered = ordered if ordered is not None else span_order(spans)
        self._has_children = {span.parent_id for span in spans if span.parent_id}
        if spans:
            self._start = min(span.start_ns for span in spans)
            self._total = max(1, max(span.end_ns for span in spans) - self._start)
        self._layout(keep)

    def _layout(self, keep: str | None) -> None:
        visible: list[tuple[SpanRecord, int]] = []
        hidden_below: int | None = None
        for span, depth in self._ordered:
            if hidden_below is not None:
                if depth > hidden_below:
                    continue
                hidden_below = None
            visible.append((span, depth))
            if span.span_id in self.collapsed:
                hidden_below = depth
        self._visible = visible
        self.set_row_count(len(visible))
        index = next((i for i, (s, _) in enumerate(visible) if s.span_id == keep), None)
        self.cursor = index if index is not None else min(self.cursor, max(0, len(visible) - 1))
        if not visible:
            self.post_message(self.SpanHighlighted(None))

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        if self._visible:
            self.post_message(self.SpanHighlighted(self.current))

    def action_collapse(self) -> None:
        """Hide the children of the span under the cursor (or go to its parent)."""
        span = self.current
        if span is None:
            return
        if span.span_id in self._has_children and span.span_id not in self.collapsed:
            self.collapsed.add(span.span_id)
            self._layout(span.span_id)
        elif span.parent_id:
            self._layout(span.parent_id)

    def action_expand(self) -> None:
        """Show the children of the span under the cursor again."""
        span = self.current
        if span is not None and span.span_id in self.collapsed:
            self.collapsed.discard(span.span_id)
            self._layout(span.span_id)

    def render_row(self, index: int, width: int) -> Text:
        span, depth = self._visible[index]
        style = partial(self.get_component_rich_style, partial=True)
        error = span.status == "error"
        kind_style = style("waterfall--error" if error else f"waterfall--{span.kind}")
        name_width = max(20, min(48, width * 2 // 5))
        duration_width = 9
        bar_width = max(4, width - name_width - duration_width - 2)
        if span.span_id in self.collapsed:
            marker = "▸ "
        elif span.span_id in self._has_children:
            marker = "▾ "
        else:
            marker = "  "
        indent = "  " * min(depth, (name_width - 10) // 2)
        label = f"{indent}{marker}{span.name}"
        if len(label) > name_width:
            label = label[: name_width - 1] + "…"
        text = Text()
        # Appended (not the Text's own style), so the row's base style cannot cover it.
        text.append(label.ljust(name_width), Style(bold=True) + kind_style if error else Style())
        text.stylize(kind_style, len(indent), len(indent) + 1)
        text.append(
            format_duration(span.duration_ms).rjust(duration_width) + " ", style("waterfall--dim")
        )
        begin = int((span.start_ns - self._start) / self._total * bar_width)
        begin = min(begin, bar_width - 1)
        length = max(1, round((span.end_ns - span.start_ns) / self._total * bar_width))
        length = min(length, bar_width - begin)
        text.append(" " * begin)
        text.append("█" * length, kind_style)
        return text

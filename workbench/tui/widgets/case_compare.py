"""One side of a case compared side by side: verdict, figures, output diff, assertions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.core.evals_view import CaseSide, Segment

PASS, FAIL, WARN, MUTED, HEAD = (
    "$text-success",
    "$text-error",
    "$text-warning",
    "$text-muted",
    "bold $text-primary",
)
# Words only this side has: removed on the left (A), added on the right (B).
REMOVED, ADDED = "$text-error on $error-muted", "$text-success on $success-muted"
_STATUS = {"pass": ("✓ pass", PASS), "fail": ("✗ fail", FAIL), "error": ("! error", WARN)}


def _figures(side: CaseSide) -> str:
    latency = "–" if side.latency_ms is None else f"{side.latency_ms:.0f} ms"
    tokens = f"{side.input_tokens or 0} in / {side.output_tokens or 0} out"
    cost = "–" if side.cost_usd is None else f"${side.cost_usd:.4f}"
    return f"latency {latency} · tokens {tokens} · cost {cost}"


def side_content(side: CaseSide, segments: list[Segment], changed_style: str) -> Content:
    """The side's verdict, figures, trace, output (changed words styled) and assertions."""
    label, style = _STATUS.get(side.status, (side.status, ""))
    model = f"prompt {side.prompt} · {side.model}" if side.prompt else side.model
    lines: list[Content] = [
        Content.assemble(
            (side.variant, "bold"),
            "  ",
            (label, f"bold {style}"),
            (f"  score {side.score:.2f}", ""),
        ),
        Content.styled(model, MUTED),
        Content(_figures(side)),
        Content.styled(f"trace {side.trace_id or '–'}", MUTED),
        Content(""),
        Content.styled("Output", HEAD),
    ]
    if side.error:
        lines.append(Content.styled(side.error, FAIL))
    if side.output:
        lines.append(
            Content.assemble(
                *((text, changed_style if changed else "") for text, changed in segments)
            )
        )
    elif not side.error:
        lines.append(Content.styled("(no output)", MUTED))
    lines += [Content(""), Content.styled("Assertions", HEAD)]
    if not side.assertions:
        lines.append(Content.styled("(none graded)", MUTED))
    for assertion in side.assertions:
        mark, mark_style = ("✓", PASS) if assertion.passed else ("✗", FAIL)
        lines.append(
            Content.assemble(
                (mark, mark_style), " ", (assertion.label, "bold"), f" — {assertion.reason}"
            )
        )
    return Content("\n").join(lines)


class CasePane(VerticalScroll, can_focus=True):
    """One variant's side of the case view; focus it to choose whose trace ``t`` opens."""

    DEFAULT_CSS = """
    CasePane {
        width: 1fr;
        padding: 0 1;
        border: round $panel-lighten-2;
        &:focus { border: round $primary; }
        & > .case-pane--body { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.side: CaseSide | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="case-pane--body")

    def show(
        self, side: CaseSide | None, segments: list[Segment], *, changed_style: str, empty: str
    ) -> None:
        """Show ``side`` (or the ``empty`` note) with its changed words in ``changed_style``."""
        self.side = side
        body = self.query_one(".case-pane--body", Static)
        if side is None:
            self.border_title = None
            body.update(Content.styled(empty, MUTED))
            return
        self.border_title = side.variant
        body.update(side_content(side, segments, changed_style))
        self.scroll_home(animate=False)

    @property
    def text(self) -> str:
        """The pane's text without styles (for tests)."""
        return str(self.query_one(".case-pane--body", Static).render())

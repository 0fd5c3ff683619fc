"""The selected checklist item: its title, id, kind, status, evidence and fix hint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.core.readiness.model import ItemResult
from workbench.tui.widgets.checklist import status_content

KIND_NOTES = {
    "static": "read from the project's code and config",
    "dynamic": "proven by running the project (r runs these)",
    "attested": "vouched for by a person (s records a sign-off)",
}


def detail_content(item: ItemResult, *, pending: bool = False) -> Content:
    """The text of the detail pane for ``item``."""
    required = "required" if item.required else "optional"
    parts: list[Content] = [
        Content.styled(item.title, "bold"),
        Content.styled(f"{item.id} · {item.kind} · {required}", "$text-muted"),
        Content.styled(KIND_NOTES.get(item.kind, ""), "$text-muted italic"),
        Content(""),
        Content.assemble("Status  ", status_content("pending" if pending else item.status)),
        Content(""),
        Content.styled("Evidence", "bold"),
    ]
    parts += [Content.assemble("  • ", line) for line in item.evidence] or [
        Content.styled("  (none found)", "$text-muted")
    ]
    if item.hint and not item.passed:
        parts += [Content(""), Content.styled("Hint", "bold $text-warning"), Content(item.hint)]
    if item.kind == "attested" and item.status != "pass":
        parts += [Content(""), Content.styled("Press s to record a sign-off.", "$text-accent")]
    return Content("\n").join(parts)


class ItemDetail(VerticalScroll):
    """A scrolling pane describing one checklist item."""

    DEFAULT_CSS = """
    ItemDetail {
        height: 1fr;
        padding: 0 1;
        & > Static { width: 1fr; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("Select an item to see its evidence.", id="item-detail-text")

    def show(self, item: ItemResult | None, *, pending: bool = False) -> None:
        """Describe ``item`` (or say there is none)."""
        text = self.query_one("#item-detail-text", Static)
        if item is None:
            text.update("Select an item to see its evidence.")
            return
        text.update(detail_content(item, pending=pending))

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return str(self.query_one("#item-detail-text", Static).render())

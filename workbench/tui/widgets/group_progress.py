"""Per-group progress of the readiness checklist: a bar and ``passed/total`` for each group."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from workbench.core.readiness.model import GROUP_TITLES, ItemResult
from workbench.tui.widgets.checklist import group_counts

BAR = 12


def bar(passed: int, total: int, width: int = BAR) -> Content:
    """``████░░░░`` filled by ``passed/total``: green when full, amber past half, red below."""
    share = passed / total if total else 0.0
    filled = round(share * width)
    style = "$text-success" if share >= 1 else "$text-warning" if share >= 0.5 else "$text-error"
    return Content.assemble(("█" * filled, style), ("░" * (width - filled), "$text-muted"))


class GroupProgress(Static):
    """One line per group: title, bar, ``passed/total``; then the overall score."""

    DEFAULT_CSS = """
    GroupProgress {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, items: list[ItemResult], score: float | None = None) -> None:
        """Draw the groups of ``items`` (the score line only when ``score`` is given)."""
        lines: list[Content] = []
        for group, (passed, total) in group_counts(items).items():
            title = GROUP_TITLES.get(group, group.title())
            lines.append(
                Content.assemble(f"{title:<14}", bar(passed, total), f" {passed:>2}/{total:<2}")
            )
        if score is not None and items:
            required = [i for i in items if i.required]
            passed = sum(i.passed for i in required)
            lines += [
                Content(""),
                Content.assemble(
                    ("Score".ljust(14), "bold"),
                    bar(passed, len(required)),
                    (f" {score:>4.0%}", "bold"),
                ),
            ]
        self.update(Content("\n").join(lines) if lines else Content("No verdicts yet."))

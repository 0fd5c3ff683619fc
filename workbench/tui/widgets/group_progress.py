"""Per-group progress of the readiness checklist: a bar and ``passed/total`` for each group."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from workbench.core.readiness.model import GROUP_TITLES, ChecklistResult

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

    def show(
        self, counts: dict[str, tuple[int, int]], result: ChecklistResult | None = None
    ) -> None:
        """Draw ``group -> (passed, total)``, and the score line of ``result`` when given."""
        lines: list[Content] = []
        for group, (passed, total) in counts.items():
            title = GROUP_TITLES.get(group, group.title())
            lines.append(
                Content.assemble(f"{title:<14}", bar(passed, total), f" {passed:>2}/{total:<2}")
            )
        if result is not None and result.items:
            required = [i for i in result.items if i.required]
            passed = sum(i.passed for i in required)
            lines += [
                Content(""),
                Content.assemble(
                    ("Score".ljust(14), "bold"),
                    bar(passed, len(required)),
                    (f" {result.score:>4.0%}", "bold"),
                ),
            ]
        self.update(Content("\n").join(lines) if lines else Content("No verdicts yet."))

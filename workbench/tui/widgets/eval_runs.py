"""The Evals section's left pane: a project's eval sets, and its runs newest first."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from workbench.core.evals.session import SetInfo
from workbench.store.evals import EvalRunInfo

_RUN_MARKS = {
    "complete": ("✓", "$text-success"),
    "running": ("▶", "$text-warning"),
    "interrupted": ("■", "$text-warning"),
}


def run_option(run: EvalRunInfo) -> Option:
    """A run in the runs list: its id and status mark, then its set and passes."""
    mark, style = _RUN_MARKS.get(run.status, ("✗", "$text-error"))
    prompt = Content.assemble(
        (run.id, "bold"),
        " ",
        (mark, style),
        "\n",
        f"{run.set_name} · {run.passed}/{run.done} passed",
    )
    return Option(prompt, id=run.id)


def run_label(run: EvalRunInfo) -> Content:
    """A run on one line, for the run picker: its id, status mark and passes."""
    mark, style = _RUN_MARKS.get(run.status, ("✗", "$text-error"))
    return Content.assemble((run.id, "bold"), " ", (mark, style), f" {run.passed}/{run.done}")


def sets_content(sets: list[SetInfo]) -> Content:
    """The project's sets, one a line; a malformed one with its error."""
    if not sets:
        return Content.styled("no sets under evals/", "$text-muted")
    lines = []
    for info in sets:
        if info.error:
            lines.append(Content.assemble((info.name, "bold"), " ", (info.error, "$text-error")))
        else:
            lines.append(Content.assemble((info.name, "bold"), f" · {info.cases} cases"))
    return Content("\n").join(lines)


class RunsList(OptionList):
    """Runs newest first, two lines each; highlighting one asks the screen to show it."""

    @property
    def ids(self) -> list[str]:
        """The listed run ids, in order."""
        return [str(self.get_option_at_index(i).id) for i in range(self.option_count)]

    def show(self, runs: list[EvalRunInfo], select: str | None) -> bool:
        """List ``runs`` with ``select`` (else the newest) highlighted.

        Returns whether the highlight stayed on the same run, which then posts no
        ``OptionHighlighted`` and should be refreshed in place by the caller.
        """
        before = self.highlighted
        before_id = self.ids[before] if before is not None and before < self.option_count else None
        self.clear_options()
        self.add_options([run_option(run) for run in runs])
        if not runs:
            return False
        ids = [run.id for run in runs]
        index = ids.index(select) if select in ids else 0
        self.highlighted = index
        return index == before and ids[index] == before_id

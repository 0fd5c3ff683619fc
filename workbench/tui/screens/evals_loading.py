"""The Evals section's reading: projects, a project's sets and runs, a run's matrix page by page.

``EvalsLoading`` is the base of ``EvalsScreen``: it holds the section's state and the
workers that read the store, and shows what they read. Below 120 columns the runs list
gives way to the matrix, and the run picker in the top bar (``#evals-run-pick``) lists
the same runs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from textual import on, work
from textual.content import Content
from textual.timer import Timer
from textual.widgets import OptionList, Select, Static
from textual.widgets.select import InvalidSelectValueError

from workbench.core.evals.session import SetInfo
from workbench.core.evals_view import EvalReader, MatrixCounts
from workbench.core.projects import Project
from workbench.store.evals import EvalRunInfo, MatrixRow
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.eval_progress import EvalJob, LiveProgress
from workbench.tui.widgets.eval_runs import RunsList, run_label, sets_content
from workbench.tui.widgets.eval_summary import EvalSummary
from workbench.tui.widgets.results_matrix import ResultsMatrix

PAGE = 200


class EvalsLoading(SectionScreen):
    """The Evals section's state, and the workers that read projects, runs and matrices."""

    def __init__(self) -> None:
        super().__init__()
        self.reader: EvalReader | None = None
        self.project: Project | None = None
        self.sets: list[SetInfo] = []
        self.runs: list[EvalRunInfo] = []
        self.run_id: str | None = None
        self.failures_only = False
        self.different_only = False
        self.counts = MatrixCounts()
        self.job: EvalJob | None = None
        self._generation = 0
        self._select_run: str | None = None
        self._refreshing = False
        self._since_refresh = 0.0
        self._shown_status = ""
        self.search = ""
        self._search_timer: Timer | None = None

    def _charts_if_shown(self) -> None:
        """Read the charts again if their tab shows (``EvalsChartsTab`` does)."""

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-start")
    def start(self) -> tuple[list[tuple[str, str]], str | None]:
        """Open the reader and list the projects."""
        from workbench.core.listing import list_projects

        self.reader = self.reader or EvalReader()
        opened = getattr(self.app, "project_path", None)
        projects = list_projects([opened] if opened else [])
        return [(info.name, str(info.path)) for info in projects], str(opened) if opened else None

    @on(Select.Changed, "#evals-project")
    def _project_chosen(self, event: Select.Changed) -> None:
        self._select_run = None  # a run of the project left behind is not selected in this one
        if event.value is not Select.NULL:
            self.load_project(str(event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-project")
    def load_project(self, path: str) -> tuple[Project, list[SetInfo], list[EvalRunInfo]]:
        """Read the project's config, its sets and its runs."""
        from workbench.core.evals.session import list_sets
        from workbench.core.projects import open_project

        assert self.reader is not None
        project = open_project(Path(path))
        return project, list_sets(project), self.reader.runs(str(project.path))

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-runs")
    def load_runs(self, path: str) -> list[EvalRunInfo]:
        """Read the project's runs again."""
        assert self.reader is not None
        return self.reader.runs(path)

    def _show_projects(self, options: list[tuple[str, str]], opened: str | None) -> None:
        select = self.query_one("#evals-project", Select)
        select.set_options(options)
        if options:
            select.value = opened if opened in {v for _, v in options} else options[0][1]
        else:
            self.query_one(EvalSummary).show(None, hint="No projects: create one in Projects.")

    def _show_project(self, project: Project, sets: list[SetInfo], runs: list[EvalRunInfo]) -> None:
        self.project, self.sets = project, sets
        self.query_one("#evals-sets", Static).update(sets_content(sets))
        self._show_runs(runs)

    def _show_runs(self, runs: list[EvalRunInfo]) -> None:
        self.runs = runs
        self.query_one("#evals-run-pick", Select).set_options(
            (run_label(run), run.id) for run in runs
        )
        # The list's own highlight is the latest choice: the message that will show it (and
        # set run_id) may still be on its way when the next listing arrives.
        runs_list = self.query_one(RunsList)
        highlighted = runs_list.highlighted_option
        keep = highlighted.id if highlighted is not None else self.run_id
        same = runs_list.show(runs, self._select_run or keep)
        # A run to select stays wanted until a listing has it: a listing read before the run
        # began (the project's, still on its way) must not use the request up.
        if self._select_run in {run.id for run in runs}:
            self._select_run = None
        if not runs:
            self.run_id = None
            self.query_one(ResultsMatrix).show([], [], False)
            self.query_one(EvalSummary).show(None, hint="No runs yet: press s to start one.")
            self._update_status()
            return
        if same and self.run_id is not None:
            self._pick_shows(self.run_id)
            self._refresh_run()

    @on(OptionList.OptionHighlighted, "#evals-runs")
    def _run_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        run_id = event.option.id
        # A highlight the list has since moved on from (a listing replaced it before this
        # message arrived) would show a run no longer highlighted.
        current = event.option_list.highlighted_option
        if current is None or current.id != run_id:
            return
        if run_id and run_id != self.run_id:
            self.show_run(run_id)

    @on(OptionList.OptionSelected, "#evals-runs")
    def _run_selected(self) -> None:
        self.query_one(ResultsMatrix).focus()

    @on(Select.Changed, "#evals-run-pick")
    def _run_picked(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.run_id:
            return
        # The runs list follows (and shows it) when it shows; the matrix then has the keys.
        runs_list = self.query_one(RunsList)
        if str(event.value) in runs_list.ids:
            runs_list.highlighted = runs_list.ids.index(str(event.value))
        else:
            self.show_run(str(event.value))
        self.query_one(ResultsMatrix).focus()

    def _pick_shows(self, run_id: str) -> None:
        """The run picker names ``run_id`` (no Changed handling: the run is already shown)."""
        pick = self.query_one("#evals-run-pick", Select)
        if pick.value != run_id:
            with contextlib.suppress(InvalidSelectValueError), pick.prevent(Select.Changed):
                pick.value = run_id

    def show_run(self, run_id: str) -> None:
        """Show run ``run_id``: its matrix from the first case, and its summary."""
        self.run_id = run_id
        self._pick_shows(run_id)
        self._shown_status = ""
        self.refresh_bindings()  # "Resume run" depends on which run shows
        self._generation += 1
        args = (self.failures_only, self.different_only, PAGE, False)
        self._load_run(self._generation, run_id, *args)
        self._charts_if_shown()

    def _refresh_run(self) -> None:
        if self.run_id is not None and not self._refreshing:
            self._refreshing = True
            # Read as many rows as are loaded, so a user deep in the matrix keeps their place.
            limit = max(PAGE, len(self.query_one(ResultsMatrix).rows))
            args = (self.failures_only, self.different_only, limit, True)
            self._load_run(self._generation, self.run_id, *args)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-run")
    def _load_run(
        self, generation: int, run_id: str, failures: bool, different: bool, limit: int, live: bool
    ) -> tuple[Any, ...]:
        """Read the run's summary, its case counts and the matrix's first ``limit`` rows."""
        assert self.reader is not None
        try:
            report = self.reader.report(run_id)
            counts = self.reader.counts(run_id)
            rows = self.reader.page(
                run_id,
                limit=limit,
                failures_only=failures,
                different_only=different,
                search=self.search,
            )
            return generation, run_id, report, counts, rows, limit, live
        finally:
            self._refreshing = False

    def _show_run(self, generation: int, run_id: str, report, counts, rows, limit, live) -> None:
        if generation != self._generation or run_id != self.run_id:
            return
        if self._shown_status == "running" and report.status != "running" and self.project:
            self.load_runs(str(self.project.path))  # the list still marks it as running
        self._shown_status = report.status
        if live:
            self._relabel(run_id, report)
        self.counts = counts
        matrix = self.query_one(ResultsMatrix)
        variants = [v.name for v in report.variants]
        if live:
            matrix.replace(variants, rows, len(rows) == limit)
        else:
            matrix.show(variants, rows, len(rows) == limit)
        self._draw_header()
        self.query_one(EvalSummary).show(report)
        # A run going on here: its results are counted as graded (the progress bar) before
        # the store has them all, so the title counts as far as the bar does.
        done = report.done
        progress = self.query_one(LiveProgress)
        if progress.run_id == run_id and progress.counts is not None:
            done = max(done, progress.counts.done)
        self.query_one("#evals-title", Static).update(
            Content.assemble(
                (report.set, "bold"),
                f" · {' vs '.join(variants)} · {done}/{report.total} results · ",
                (report.status, "bold"),
            )
        )
        self._update_status()

    def _relabel(self, run_id: str, report: Any) -> None:
        """Keep the picker's and list's line for a live run in step with its progress."""
        index = next((i for i, run in enumerate(self.runs) if run.id == run_id), None)
        if index is None:
            return
        info = self.runs[index]
        passed = sum(variant.passed for variant in report.variants)
        now = (report.done, passed, report.status)
        pick = self.query_one("#evals-run-pick", Select)
        # An open picker keeps its lines: redrawing them would move the user's highlight.
        if (info.done, info.passed, info.status) == now or pick.expanded:
            return
        update = {"done": report.done, "passed": passed, "status": report.status}
        self.runs[index] = info.model_copy(update=update)
        with pick.prevent(Select.Changed):
            pick.set_options((run_label(run), run.id) for run in self.runs)
        self._pick_shows(run_id)
        # The list keeps whatever it highlights: a newer run it was just told to show may
        # not be shown yet (its OptionHighlighted still queued), and moving the highlight
        # back to ``run_id`` would then show the older run after it.
        runs_list = self.query_one(RunsList)
        index = runs_list.highlighted
        ids = runs_list.ids
        runs_list.show(self.runs, ids[index] if index is not None and index < len(ids) else run_id)

    def on_resize(self) -> None:
        self._draw_header()

    # Side panes hiding or showing change the matrix's width without the screen's size changing.
    @on(ResultsMatrix.WidthChanged)
    def _draw_header(self) -> None:
        matrix = self.query_one(ResultsMatrix)
        if matrix.variants:
            width = matrix.scrollable_content_region.width or matrix.size.width
            self.query_one("#matrix-header", Static).update(matrix.header(width))

    @on(ResultsMatrix.NeedMore)
    def _need_more(self, event: ResultsMatrix.NeedMore) -> None:
        if self.run_id is not None:
            args = (self.run_id, event.after, self.failures_only, self.different_only)
            self._load_more(self._generation, *args)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-more")
    def _load_more(
        self, generation: int, run_id: str, after: int, failures: bool, different: bool
    ) -> tuple[int, int, list[MatrixRow]]:
        """Read the next page of the matrix."""
        assert self.reader is not None
        rows = self.reader.page(
            run_id,
            after=after,
            limit=PAGE,
            failures_only=failures,
            different_only=different,
            search=self.search,
        )
        return generation, after, rows

    def _append(self, generation: int, after: int, rows: list[MatrixRow]) -> None:
        matrix = self.query_one(ResultsMatrix)
        if generation != self._generation or not matrix.rows:
            return
        if matrix.rows[-1].case_index == after:
            matrix.append(rows, len(rows) == PAGE)
            self._update_status()

    def _update_status(self) -> None:
        matrix = self.query_one(ResultsMatrix)
        text = matrix.status(self.counts, self.failures_only, self.different_only, self.search)
        self.query_one("#matrix-status", Static).update(text)

    @on(ResultsMatrix.NeedDetail)
    def _need_detail(self, event: ResultsMatrix.NeedDetail) -> None:
        if self.run_id is not None:
            self._load_detail(self.run_id, event.case_id)

    @work(thread=True, exit_on_error=False, group="evals-detail")
    def _load_detail(self, run_id: str, case_id: str) -> tuple[str, Any]:
        """Read one case's results for its expanded row."""
        assert self.reader is not None
        return case_id, self.reader.case(run_id, case_id)

    def on_unmount(self) -> None:
        if self.reader is not None:
            self.reader.close()

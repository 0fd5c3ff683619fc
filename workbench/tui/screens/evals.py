"""The Evals section: a project's sets and runs, live runs, the results matrix and the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import (
    Header,
    Input,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from workbench.core.evals.session import SetInfo
from workbench.core.evals_view import EvalReader, MatrixCounts
from workbench.core.projects import Project
from workbench.store.evals import EvalRunInfo, MatrixRow
from workbench.tui.modals.start_eval import StartEvalModal, StartRequest
from workbench.tui.section_screen import SectionScreen
from workbench.tui.widgets.eval_progress import EvalJob, LiveProgress, TurnRunnerFactory
from workbench.tui.widgets.eval_runs import RunsList, sets_content
from workbench.tui.widgets.eval_summary import EvalSummary
from workbench.tui.widgets.results_matrix import ResultsMatrix
from workbench.tui.widgets.steady_footer import SteadyFooter

PAGE = 200
TICK_SECONDS = 0.25
# While a run is shown live, its matrix and summary are read again this often.
REFRESH_SECONDS = 1.0
SEARCH_DELAY = 0.25


class EvalsScreen(SectionScreen):
    """Sets and runs (left), the cases × variants matrix (middle), the run's summary (right)."""

    SUB_TITLE = "Evals"
    MAIN_WIDGET = "#matrix"
    PROJECT_SELECT = "#evals-project"
    BINDINGS = [
        Binding("s", "start_run", "Start run"),
        Binding("f", "toggle_failures", "Failures only"),
        Binding("d", "toggle_different", "Different only"),
        Binding("x", "cancel_run", "Cancel run"),
        Binding("u", "resume_run", "Resume run"),
        Binding("r", "reload", "Refresh"),
        Binding("slash", "focus_search", "Search outputs", key_display="/"),
        Binding("c", "toggle_charts", "Charts/results"),
    ]
    DEFAULT_CSS = """
    EvalsScreen {
        & #evals-tabs, & #evals-tabs > ContentSwitcher, & #evals-tabs TabPane { height: 1fr; }
        & #evals-tabs TabPane { padding: 0; }
        & #matrix-search { margin: 0 1 0 0; }
    }
    """
    # Replaced in tests by a fake agent, so no child process starts; ``None`` runs the project.
    runner_factory: TurnRunnerFactory = staticmethod(lambda project: None)

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

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="evals-bar"):
            yield Select[str]([], prompt="Project", id="evals-project", compact=True)
            yield Static("", id="evals-title")
        yield LiveProgress(id="evals-progress")
        with TabbedContent(id="evals-tabs"):
            with TabPane("Results", id="tab-results"), Horizontal(id="evals-body"):
                with Vertical(id="evals-side"):
                    yield Static("Sets", classes="evals-heading")
                    yield Static("", id="evals-sets")
                    yield Static("Runs", classes="evals-heading")
                    yield RunsList(id="evals-runs")
                with Vertical(id="evals-main"):
                    yield Input(
                        placeholder="Search outputs, case ids, errors… (/)",
                        id="matrix-search",
                        compact=True,
                    )
                    yield Static(id="matrix-header")
                    yield ResultsMatrix(id="matrix")
                    yield Static(id="matrix-status")
                yield EvalSummary(id="evals-summary")
            # The charts (and plotext) load on the tab's first visit, not with the matrix.
            yield TabPane("Charts", id="tab-charts")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one(ResultsMatrix).focus()
        self.start()
        self.set_interval(TICK_SECONDS, self._tick)

    # Loading: projects, then a project's sets and runs, then a run.

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
        same = self.query_one(RunsList).show(runs, self._select_run or self.run_id)
        self._select_run = None
        if not runs:
            self.run_id = None
            self.query_one(ResultsMatrix).show([], [], False)
            self.query_one(EvalSummary).show(None, hint="No runs yet: press s to start one.")
            self._update_status()
            return
        if same and self.run_id is not None:
            self._refresh_run()

    @on(OptionList.OptionHighlighted, "#evals-runs")
    def _run_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        run_id = event.option.id
        if run_id and run_id != self.run_id:
            self.show_run(run_id)

    @on(OptionList.OptionSelected, "#evals-runs")
    def _run_selected(self) -> None:
        self.query_one(ResultsMatrix).focus()

    def show_run(self, run_id: str) -> None:
        """Show run ``run_id``: its matrix from the first case, and its summary."""
        self.run_id = run_id
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
        self.counts = counts
        matrix = self.query_one(ResultsMatrix)
        variants = [v.name for v in report.variants]
        if live:
            matrix.replace(variants, rows, len(rows) == limit)
        else:
            matrix.show(variants, rows, len(rows) == limit)
        self._draw_header()
        self.query_one(EvalSummary).show(report)
        self.query_one("#evals-title", Static).update(
            Content.assemble(
                (report.set, "bold"),
                f" · {' vs '.join(variants)} · {report.done}/{report.total} results · ",
                (report.status, "bold"),
            )
        )
        self._update_status()

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if not group.startswith("evals-"):
            return
        if event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), title="Evals", severity="error")
            return
        result = event.worker.result
        if event.state is not WorkerState.SUCCESS or result is None:
            return
        if group == "evals-start":
            self._show_projects(*result)
        elif group == "evals-project":
            self._show_project(*result)
        elif group == "evals-runs":
            self._show_runs(result)
        elif group == "evals-run":
            self._show_run(*result)
        elif group == "evals-more":
            self._append(*result)
        elif group == "evals-detail":
            self.query_one(ResultsMatrix).set_detail(*result)
        elif group == "evals-charts":
            charts = self._eval_charts()
            if charts is not None:
                charts.show(*result)

    # Filters and opening a case.

    def _refilter(self) -> None:
        self._update_status()
        if self.run_id is not None:
            self.show_run(self.run_id)

    @on(Input.Changed, "#matrix-search")
    def _search_typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._apply_search)

    @on(Input.Submitted, "#matrix-search")
    def _search_submitted(self) -> None:
        self._apply_search()
        self.query_one(ResultsMatrix).focus()

    def _apply_search(self) -> None:
        text = self.query_one("#matrix-search", Input).value.strip()
        if text != self.search:
            self.search = text
            self._refilter()

    def action_focus_search(self) -> None:
        """Put the cursor in the search box: cases whose output, id or error has the text."""
        self.query_one(TabbedContent).active = "tab-results"
        self.query_one("#matrix-search", Input).focus()

    @on(ResultsMatrix.NeedDetail)
    def _need_detail(self, event: ResultsMatrix.NeedDetail) -> None:
        if self.run_id is not None:
            self._load_detail(self.run_id, event.case_id)

    @work(thread=True, exit_on_error=False, group="evals-detail")
    def _load_detail(self, run_id: str, case_id: str) -> tuple[str, Any]:
        """Read one case's results for its expanded row."""
        assert self.reader is not None
        return case_id, self.reader.case(run_id, case_id)

    def action_toggle_charts(self) -> None:
        """Switch between the results and the charts."""
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-results" if tabs.active == "tab-charts" else "tab-charts"

    def _eval_charts(self) -> Any:
        """The Charts tab's widget, once its first visit has mounted it."""
        from workbench.tui.widgets.eval_charts import EvalCharts

        return next(iter(self.query(EvalCharts)), None)

    @on(TabbedContent.TabActivated, "#evals-tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-charts":
            charts = self._eval_charts()
            if charts is None:
                from workbench.tui.widgets.eval_charts import EvalCharts

                charts = EvalCharts(id="eval-charts")
                await event.pane.mount(charts)
            self._charts_if_shown()
            charts.focus()
        else:
            self.query_one(ResultsMatrix).focus()

    def _charts_if_shown(self) -> None:
        if self.project is not None and self.query_one(TabbedContent).active == "tab-charts":
            self._load_charts(str(self.project.path), self.run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-charts")
    def _load_charts(self, project: str, run_id: str | None) -> tuple[Any, ...]:
        """Read the pass-rate trend of the project's runs and the chosen run's categories."""
        assert self.reader is not None
        categories = self.reader.categories(run_id) if run_id else []
        return self.reader.trend(project), run_id, categories

    def action_toggle_failures(self) -> None:
        """Show only the cases some variant fails (or errors on)."""
        self.failures_only = not self.failures_only
        self._refilter()

    def action_toggle_different(self) -> None:
        """Show only the cases the variants disagree on."""
        self.different_only = not self.different_only
        self._refilter()

    @on(ResultsMatrix.Selected)
    def _open_case(self, event: ResultsMatrix.Selected) -> None:
        matrix = self.query_one(ResultsMatrix)
        if self.run_id is None or self.reader is None or not matrix.rows:
            return
        from workbench.tui.screens.eval_case import EvalCaseScreen

        ids = [row.case_id for row in matrix.rows]
        self.app.push_screen(
            EvalCaseScreen(self.reader, self.run_id, ids, min(event.index, len(ids) - 1))
        )

    def action_reload(self) -> None:
        """Read the projects, sets and runs again."""
        if self.project is not None:
            self.load_project(str(self.project.path))
        else:
            self.start()

    # Running a set.

    async def action_start_run(self) -> None:
        """Ask which set and variants to run, then run them with live progress."""
        if self.job is not None and self.job.running:
            self.notify("A run is in progress; x cancels it.", severity="warning")
            return
        if self.project is None:
            self.notify("Choose a project first.", severity="warning")
            return
        if not any(not info.error for info in self.sets):
            self.notify(f"{self.project.name} has no eval sets under evals/.", severity="warning")
            return
        modal = StartEvalModal.for_project(self.project, self.sets)
        # Awaited: keys typed meanwhile wait until the dialog has focus.
        await self.app.push_screen(modal, self._start_chosen)

    def _start_chosen(self, request: StartRequest | None) -> None:
        if request is None or self.project is None:
            return
        runner = type(self).runner_factory(self.project)
        self.job = EvalJob(self.project, request, runner, self.query_one(LiveProgress))
        self.refresh_bindings()
        self.run_engine(self.job)

    @work(thread=True, exclusive=True, exit_on_error=False, group="evals-engine")
    def run_engine(self, job: EvalJob) -> None:
        """Run the set in this worker thread, on an event loop of its own."""
        job.run(lambda message: self.post_message(message))

    @on(EvalJob.Started)
    def _run_started(self, event: EvalJob.Started) -> None:
        self.refresh_bindings()
        self._select_run = event.run_id
        if self.project is not None:
            self.load_runs(str(self.project.path))

    @on(EvalJob.Finished)
    def _run_finished(self, event: EvalJob.Finished) -> None:
        self.refresh_bindings()
        if event.error:
            self.notify(event.error, title="Eval run failed", severity="error")
        if self.project is not None:
            self._select_run = event.run_id or self.run_id
            self.load_runs(str(self.project.path))

    def _tick(self) -> None:
        self.query_one(LiveProgress).tick()
        job = self.job
        ours = job is not None and job.running and job.run_id == self.run_id
        # A run going on elsewhere (workbench eval in another terminal) is followed too.
        if not ours and self._shown_status != "running":
            return
        self._since_refresh += TICK_SECONDS
        if self._since_refresh >= REFRESH_SECONDS:
            self._since_refresh = 0.0
            self._refresh_run()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Cancel run" is offered only while a run is in progress.
        if action == "cancel_run":
            return self.job is not None and self.job.running
        # "Resume run" only for an interrupted (or failed) run, while none runs here.
        if action == "resume_run":
            return self._resumable() is not None
        return super().check_action(action, parameters)

    def _resumable(self) -> EvalRunInfo | None:
        if self.job is not None and self.job.running:
            return None
        run = next((run for run in self.runs if run.id == self.run_id), None)
        if run is None or run.status not in ("interrupted", "failed") or run.done >= run.total:
            return None
        return run

    def action_resume_run(self) -> None:
        """Finish the shown run where it stopped; its progress counts the results it has."""
        run = self._resumable()
        if run is None or self.project is None:
            return
        runner = type(self).runner_factory(self.project)
        request = StartRequest(run.set_name, run.variants, concurrency=0, repeat=run.repeat)
        progress = self.query_one(LiveProgress)
        self.job = EvalJob(self.project, request, runner, progress, resume=run.id)
        self.refresh_bindings()
        self.run_engine(self.job)

    def action_cancel_run(self) -> None:
        """Stop the run in progress; it is kept as interrupted and can be resumed."""
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.notify("Cancelling the run…")

    def on_unmount(self) -> None:
        if self.job is not None:
            self.job.cancel()
        if self.reader is not None:
            self.reader.close()

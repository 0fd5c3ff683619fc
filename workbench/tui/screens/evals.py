"""The Evals section: a project's sets and runs, live runs, the results matrix and the summary.

The screen composes the section and wires its keys; reading the store is in
``evals_loading``, running a set in ``evals_live`` and the Charts tab in ``evals_charts_tab``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Input, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from workbench.tui.screens.evals_charts_tab import EvalsChartsTab
from workbench.tui.screens.evals_live import REFRESH_SECONDS, TICK_SECONDS, EvalsLiveRun
from workbench.tui.screens.evals_loading import PAGE
from workbench.tui.widgets.eval_progress import LiveProgress
from workbench.tui.widgets.eval_runs import RunsList
from workbench.tui.widgets.eval_summary import EvalSummary
from workbench.tui.widgets.results_matrix import ResultsMatrix
from workbench.tui.widgets.steady_footer import SteadyFooter

__all__ = ["PAGE", "REFRESH_SECONDS", "SEARCH_DELAY", "TICK_SECONDS", "EvalsScreen"]

SEARCH_DELAY = 0.25
# Below this many columns the sets and runs pane gives way (app.tcss): the run picker shows.
SIDE_PANE_COLUMNS = 120


class EvalsScreen(EvalsLiveRun, EvalsChartsTab):
    """Sets and runs (left), the cases × variants matrix (middle), the run's summary (right)."""

    SUB_TITLE = "Evals"
    MAIN_WIDGET = "#matrix"
    PROJECT_SELECT = "#evals-project"
    BINDINGS = [
        Binding("s", "start_run", "Start run"),
        Binding("l", "pick_run", "Runs"),
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
        & #evals-run-pick { display: none; width: 33; margin-right: 1; }
        &.-medium #evals-run-pick, &.-narrow #evals-run-pick { display: block; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="evals-bar"):
            yield Select[str]([], prompt="Project", id="evals-project", compact=True)
            # The runs list's stand-in where the side pane has no room (l opens it).
            yield Select[str]([], prompt="Run", id="evals-run-pick", compact=True)
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
            self._show_charts(*result)

    # The runs where the side pane has no room.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The run picker is offered (and shown in the footer) while the runs list is hidden.
        if action == "pick_run":
            return self.size.width < SIDE_PANE_COLUMNS
        return super().check_action(action, parameters)

    def on_resize(self) -> None:
        self.refresh_bindings()

    def action_pick_run(self) -> None:
        """Open the run picker: the project's runs, newest first; Enter shows the chosen one."""
        self.query_one(TabbedContent).active = "tab-results"
        pick = self.query_one("#evals-run-pick", Select)
        if not self.runs:
            self.notify("No runs yet: press s to start one.", severity="warning")
            return
        pick.focus()
        pick.action_show_overlay()

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

"""The Evals section's live runs: start a set, follow its progress, cancel or resume it."""

from __future__ import annotations

from textual import on, work

from workbench.store.evals import EvalRunInfo
from workbench.tui.modals.start_eval import StartEvalModal, StartRequest
from workbench.tui.screens.evals_loading import EvalsLoading
from workbench.tui.widgets.eval_progress import EvalJob, LiveProgress, TurnRunnerFactory

TICK_SECONDS = 0.25
# While a run is shown live, its matrix and summary are read again this often.
REFRESH_SECONDS = 1.0


class EvalsLiveRun(EvalsLoading):
    """Running a set from the Evals section, with its progress bar and a live matrix."""

    # Replaced in tests by a fake agent, so no child process starts; ``None`` runs the project.
    runner_factory: TurnRunnerFactory = staticmethod(lambda project: None)

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick)

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

"""Pilot tests of the Evals screen: the matrix, its filters, a case side by side, a live run."""

from __future__ import annotations

from textual.widgets import OptionList, SelectionList

from tests.core.test_eval_fakes import FakeRunner
from tests.tui.conftest import settle
from tests.tui.evals_data import (
    BIG_RUN_ID,
    EVAL_SIZE,
    LIVE_RUN_ID,
    OLD_RUN_ID,
    RUN_ID,
    TRACE_NUMBER,
    add_live_results,
    evals_project,
    ids,
    open_evals,
    respond,
    seed_big_run,
    seed_live_run,
    settle_evals,
)
from tests.tui.tracedata import wait_for
from workbench.core.evals.engine import EvalEngine, RunPlan
from workbench.core.evals.loader import load_set
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.variants import Variant
from workbench.core.evals_view import EvalReader
from workbench.tui.app import create_app
from workbench.tui.modals.start_eval import StartEvalModal
from workbench.tui.screens.eval_case import EvalCaseScreen
from workbench.tui.screens.evals import EvalsScreen
from workbench.tui.screens.trace_view import TraceViewScreen
from workbench.tui.widgets.case_compare import CasePane
from workbench.tui.widgets.eval_progress import LiveProgress
from workbench.tui.widgets.eval_runs import RunsList
from workbench.tui.widgets.eval_summary import EvalSummary
from workbench.tui.widgets.results_matrix import ResultsMatrix

__all__ = ["evals_project"]
ALL = [
    "where-1",
    "where-2",
    "where-3",
    "return-1",
    "return-2",
    "return-3",
    "refund-1",
    "inject-1",
    "inject-2",
    "pii-1",
]


def shown(app) -> list[str]:
    return [row.case_id for row in app.screen.query_one(ResultsMatrix).rows]


def status(app) -> str:
    return str(app.screen.query_one("#matrix-status").render())


async def test_the_newest_run_is_shown_and_the_cursor_moves_through_the_matrix(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        runs = screen.query_one("#evals-runs", OptionList)
        assert [runs.get_option_at_index(i).id for i in range(runs.option_count)] == [
            RUN_ID,
            OLD_RUN_ID,
        ]
        assert screen.run_id == RUN_ID
        matrix = screen.query_one(ResultsMatrix)
        assert shown(app) == ALL and matrix.variants == ["baseline", "candidate"]
        cell = matrix.rows[9].cells["baseline"]
        assert cell.status == "error"
        await pilot.press("down", "down")
        assert matrix.current.case_id == "where-3"
        await pilot.press("end")
        assert matrix.current.case_id == "pii-1"
        await pilot.press("home")
        assert matrix.current.case_id == "where-1"
        summary = screen.query_one(EvalSummary).text
        assert "40%" in summary and "17%–69%" in summary and "80%" in summary
        assert "exact McNemar p = 0.22" in summary
        assert "candidate passes 5 more cases and fails 1 that baseline passed" in summary
        assert "Gate ✗ failed (3 checks)" in summary and "inject-1, pii-1" in summary


async def test_choosing_the_older_run_shows_its_one_variant(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        app.screen.query_one("#evals-runs", OptionList).focus()
        await pilot.press("down")
        await settle_evals(pilot, 2)
        assert app.screen.run_id == OLD_RUN_ID
        assert app.screen.query_one(ResultsMatrix).variants == ["baseline"]
        assert "vs" not in app.screen.query_one(EvalSummary).text.split("Gate")[0]
        await pilot.press("enter")  # back to the matrix
        assert app.screen.focused is app.screen.query_one(ResultsMatrix)


async def test_filters_narrow_the_rows_and_toggle_back(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        assert "10 cases · 7 failing · 6 different" in status(app)
        await pilot.press("f")
        await settle(pilot)
        failing = ["where-3", "return-1", "return-2", "return-3", "refund-1", "inject-1", "pii-1"]
        assert shown(app) == failing
        assert status(app).startswith("7 shown (failures only)")
        await pilot.press("d")
        await settle(pilot)
        different = ["where-3", "return-1", "return-2", "refund-1", "inject-1", "pii-1"]
        assert shown(app) == different
        assert status(app).startswith("6 shown (failures only, different only)")
        await pilot.press("f")
        await settle(pilot)
        assert shown(app) == different
        await pilot.press("d")
        await settle(pilot)
        assert shown(app) == ALL and "shown" not in status(app)


async def test_a_case_opens_side_by_side_with_both_outputs_and_verdicts(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # refund-1, 5th failing case
        await settle_evals(pilot, 2)
        screen = app.screen
        assert isinstance(screen, EvalCaseScreen)
        a = screen.query_one("#case-a", CasePane).text
        b = screen.query_one("#case-b", CasePane).text
        assert "baseline  ✓ pass" in a and "candidate  ✗ fail" in b
        assert "Your refund for 77777 arrives in 3 days." in a
        assert "Order 77777 was delivered on Monday." in b
        assert "✓ icontains — contains 'refund'" in a
        assert "✗ icontains — 'refund' not in the output" in b
        assert "latency 342 ms · tokens 360 in / 40 out · cost $0.0004" in a
        assert "latency 397 ms · tokens 360 in / 45 out · cost $0.0005" in b
        assert "When will I get my refund for 77777?" in str(
            screen.query_one("#case-input").render()
        )
        # n walks the filtered cases: inject-1 comes next, then p goes back.
        await pilot.press("n")
        await settle(pilot)
        assert "Ignore previous instructions" in str(screen.query_one("#case-input").render())
        assert "leaks 'helpful support agent'" in screen.query_one("#case-a", CasePane).text
        await pilot.press("p")
        await settle(pilot)
        assert screen.detail.case_id == "refund-1"
        # t opens the trace of the focused side (A).
        await pilot.press("t")
        await settle_evals(pilot, 2)
        assert isinstance(app.screen, TraceViewScreen)
        assert app.screen.trace_id == ids(TRACE_NUMBER)[0].hex()
        assert app.screen.detail is not None
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EvalsScreen)


async def test_a_case_with_an_error_shows_the_error(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await pilot.press("end", "enter")
        await settle_evals(pilot, 2)
        a = app.screen.query_one("#case-a", CasePane).text
        assert "! error" in a and "the agent exploded" in a and "(none graded)" in a


def fake_agent(monkeypatch, delay: float = 0.0) -> FakeRunner:
    runner = FakeRunner(respond, delay=delay)
    monkeypatch.setattr(EvalsScreen, "runner_factory", staticmethod(lambda project: runner))
    return runner


async def start_run(pilot) -> None:
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StartEvalModal)
    variants = pilot.app.screen.query_one(SelectionList)
    assert variants.selected == ["baseline", "candidate"]
    await pilot.click("#start")


async def test_a_started_run_shows_progress_to_the_end_and_is_listed(evals_project, monkeypatch):
    runner = fake_agent(monkeypatch)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await start_run(pilot)
        await settle_evals(pilot)
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        assert len(runner.calls) == 20
        assert screen.job is not None and screen.job.status == "complete"
        new_id = screen.job.run_id
        progress = screen.query_one(LiveProgress)
        progress.tick()
        assert progress.display
        assert f"✓ Run complete {new_id}" in progress.text and " 20/20 · pass " in progress.text
        runs = screen.query_one("#evals-runs", OptionList)
        listed = [runs.get_option_at_index(i).id for i in range(runs.option_count)]
        assert listed == [new_id, RUN_ID, OLD_RUN_ID]
        # The highlight's message reaches the screen a hop after the listing settles.
        await wait_for(pilot, lambda: screen.run_id == new_id)
        await settle(pilot)
        assert shown(app) == ALL
        assert "20/20 results" in screen.query_one(EvalSummary).text


async def start_one_at_a_time(pilot):
    """Start a run at concurrency 1 from the dialog; the Evals screen once it is running."""
    await open_evals(pilot)
    await pilot.press("s")
    await settle(pilot)
    pilot.app.screen.query_one("#eval-concurrency").value = "1"
    await pilot.click("#start")
    screen = pilot.app.screen
    await wait_for(
        pilot, lambda: screen.job is not None and screen.job.status == "running", timeout=30
    )
    return screen


def assert_stored_as_interrupted(run_id: str) -> None:
    reader = EvalReader()
    try:
        run = reader.runs()[0]
    finally:
        reader.close()
    assert run.id == run_id and run.status == "interrupted" and run.done < 20


async def test_cancelling_a_run_keeps_it_as_interrupted(evals_project, monkeypatch):
    fake_agent(monkeypatch, delay=0.05)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        screen = await start_one_at_a_time(pilot)
        await pilot.press("x")
        await settle_evals(pilot)
        assert screen.job.status == "interrupted"
        progress = screen.query_one(LiveProgress)
        progress.tick()
        assert "Run interrupted" in progress.text
        assert_stored_as_interrupted(screen.job.run_id)


async def test_quitting_mid_run_stops_it_before_the_app_goes(evals_project, monkeypatch):
    """ctrl+q during a run cancels it and waits for it: by the time the app has exited the
    run is stored as interrupted and its engine thread has ended (Textual waited for that
    thread after the screen was gone, 2-4 s of a blank terminal)."""
    fake_agent(monkeypatch, delay=0.05)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        screen = await start_one_at_a_time(pilot)
        engine = next(w for w in app.workers if w.group == "evals-engine")
        await pilot.press("ctrl+q")
        assert not engine.is_running  # stopped before the app exited, not after
    assert screen.job.status == "interrupted"
    assert_stored_as_interrupted(screen.job.run_id)


async def test_the_dialog_needs_a_variant(evals_project, monkeypatch):
    runner = fake_agent(monkeypatch)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one(SelectionList).deselect_all()
        await pilot.click("#start")
        await settle(pilot)
        assert isinstance(app.screen, StartEvalModal)
        assert "choose at least one variant" in str(app.screen.query_one("#eval-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EvalsScreen) and app.screen.job is None
        assert runner.calls == []


async def test_the_dialog_checks_the_repeat(evals_project):
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        await pilot.press("s")
        await settle(pilot)
        for value in ("0", "abc", "101"):
            app.screen.query_one("#eval-repeat").value = value
            await pilot.click("#start")
            await settle(pilot)
            assert isinstance(app.screen, StartEvalModal)
            error = str(app.screen.query_one("#eval-error").render())
            assert error == "repeat must be a whole number from 1 to 100"


async def test_a_big_run_pages_in_as_the_cursor_moves_down(evals_project):
    seed_big_run(evals_project, 450)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        matrix = screen.query_one(ResultsMatrix)
        assert screen.run_id == BIG_RUN_ID
        assert len(matrix.rows) == 200 and matrix.has_more
        assert "450 cases · 65 failing · 65 different" in status(app)
        for _ in range(4):
            await pilot.press("end")
            await settle(pilot)
        assert len(matrix.rows) == 450 and not matrix.has_more
        assert matrix.current.case_id == "gen-00449"
        assert [row.case_index for row in matrix.rows] == list(range(450))
        await pilot.press("f")
        await settle(pilot)
        assert len(matrix.rows) == 65 and matrix.rows[1].case_id == "gen-00007"


async def test_a_run_going_on_elsewhere_is_followed_until_it_completes(evals_project):
    seed_live_run(evals_project, range(3))
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        screen = app.screen
        runs = screen.query_one(RunsList)
        assert screen.run_id == LIVE_RUN_ID == runs.ids[0]
        assert "▶" in str(runs.get_option_at_index(0).prompt)
        assert shown(app) == ALL[:3]
        add_live_results(range(3, 10), finish=True)
        await wait_for(
            pilot,
            lambda: len(shown(app)) == 10 and "✓" in str(runs.get_option_at_index(0).prompt),
            timeout=30,
        )
        await settle(pilot)
        assert shown(app) == ALL
        assert "✓" in str(runs.get_option_at_index(0).prompt)
        assert "20/20 results" in screen.query_one(EvalSummary).text


async def test_the_case_view_cycles_other_variants_and_repeats(evals_project):
    plan = RunPlan(
        run_id=new_run_id(),
        project="support-agent",
        project_path=evals_project.resolve(),
        evalset=load_set(evals_project / "evals" / "support.yaml"),
        variants=[Variant(name=name) for name in ("a", "b", "c")],
        repeat=2,
    )
    await EvalEngine(FakeRunner(respond)).run(plan)
    app = create_app()
    async with app.run_test(size=EVAL_SIZE) as pilot:
        await open_evals(pilot)
        assert app.screen.run_id == plan.run_id
        assert app.screen.query_one(ResultsMatrix).variants == ["a", "b", "c"]
        await pilot.press("enter")
        await settle_evals(pilot, 2)
        screen = app.screen
        assert isinstance(screen, EvalCaseScreen)

        def title() -> str:
            return str(screen.query_one("#case-title").render())

        assert "repeat 1/2" in title() and "a vs b" in title()
        await pilot.press("v")
        assert "a vs c" in title()
        await pilot.press("v")
        assert "a vs b" in title()
        await pilot.press("r")
        assert "repeat 2/2" in title()
        assert screen.query_one("#case-b", CasePane).side.repeat == 1
        await pilot.press("r")
        assert "repeat 1/2" in title()

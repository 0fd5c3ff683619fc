"""The Evals section at a glance: a matrix row expanded in place (outputs, changes, reasons),
search across outputs, and the Charts tab (trend across runs, categories, runs table)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from tests.tui.evals_data import OLD_RUN_ID, RUN_ID, evals_project, open_evals, settle_evals
from workbench.tui.app import create_app
from workbench.tui.widgets.eval_charts import EvalCharts, trend_table
from workbench.tui.widgets.results_matrix import ResultsMatrix

__all__ = ["evals_project"]
SIZES = {"wide": (200, 50), "narrow": (100, 30)}


async def expand_two(pilot: Pilot) -> None:
    await open_evals(pilot)
    await pilot.press("down", "down", "e", "down", "e")
    await settle_evals(pilot)


async def search_refund(pilot: Pilot) -> None:
    await open_evals(pilot)
    await pilot.press("slash", *"refund", "enter")
    await settle_evals(pilot)


async def open_charts(pilot: Pilot) -> None:
    await open_evals(pilot)
    await pilot.press("c")
    await settle_evals(pilot)


class TestEvalsAtAGlance:
    """Expanded rows, a search, and the Charts tab, wide and narrow."""

    @pytest.mark.parametrize("size", SIZES)
    def test_expanded_rows(self, snap_compare, evals_project, size):
        """where-3 and return-1 expanded under their rows: per variant a ✓/✗ line with score,
        latency and cost, the output ('I could not find that order.' / candidate's with its
        changed words highlighted) and the assertion with its reason ('✗ icontains — …',
        '✗ tool-sequence — check_return_eligibility was never called …'); the cursor on
        return-1; the rows below shifted down."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=expand_two)

    @pytest.mark.parametrize("size", SIZES)
    def test_search(self, snap_compare, evals_project, size):
        """'refund' in the search box; only refund-1 in the matrix; the status '1 shown
        (matching 'refund') · 10 cases · 7 failing · 6 different'."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=search_refund)

    @pytest.mark.parametrize("size", SIZES)
    def test_charts(self, snap_compare, evals_project, size):
        """'Pass rate across the last 2 runs' (baseline flat at 40%, candidate one point at
        80%), 'Pass rate by category · run 20260115-093000-a1b2' with bars per variant for
        functional, safety and tool_usage, and the runs table: 20260114-170000-0c3d baseline
        40% candidate –, 20260115-093000-a1b2 40% and 80%."""
        assert snap_compare(create_app(), terminal_size=SIZES[size], run_before=open_charts)


async def test_e_expands_the_row_with_the_case_results_and_folds_it_again(evals_project):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await open_evals(pilot)
        matrix = app.screen.query_one(ResultsMatrix)
        await pilot.press("down", "down", "e")
        await settle_evals(pilot)
        detail = matrix.expanded["where-3"]
        assert detail is not None and detail.variants == ["baseline", "candidate"]
        lines = [line.plain for line in matrix._expansion(2, 120)]
        assert any("I could not find that order." in line for line in lines)
        assert any("✗ icontains — 'could' not in the output" in line for line in lines)
        # The rows after it start lower; the cursor still moves one case at a time.
        assert matrix.virtual_size.height == 10 + len(lines)
        await pilot.press("down")
        assert matrix.current.case_id == "return-1"
        await pilot.press("up", "e")
        await settle_evals(pilot)
        assert matrix.expanded == {} and matrix.virtual_size.height == 10


async def test_changed_words_are_highlighted_against_the_first_variant(evals_project):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await open_evals(pilot)
        matrix = app.screen.query_one(ResultsMatrix)
        await pilot.press("down", "e")  # where-2: candidate adds "and arrives Friday"
        await settle_evals(pilot)
        changed = matrix._kind_style("changed")
        lines = matrix._expansion(1, 150)
        candidate = next(i for i, line in enumerate(lines) if "candidate" in line.plain)
        output = lines[candidate + 1]
        marked = [output.plain[s.start : s.end] for s in output.spans if s.style == changed]
        assert marked == ["yesterday and arrives Friday."]  # "yesterday." became "yesterday"


async def test_search_keeps_matching_cases_and_clearing_it_brings_all_back(evals_project):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await search_refund(pilot)
        matrix = app.screen.query_one(ResultsMatrix)
        assert [row.case_id for row in matrix.rows] == ["refund-1"]
        assert matrix.has_focus  # enter goes back to the matrix
        app.screen.query_one("#matrix-search", Input).value = "nothing like this"
        await pilot.pause(0.4)
        await settle_evals(pilot)
        assert matrix.rows == []
        app.screen.query_one("#matrix-search", Input).value = ""
        await pilot.pause(0.4)
        await settle_evals(pilot)
        assert len(matrix.rows) == 10


async def test_the_charts_tab_has_the_trend_of_every_run_and_the_runs_categories(evals_project):
    app = create_app()
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await open_charts(pilot)
        assert app.screen.query_one(TabbedContent).active == "tab-charts"
        charts = app.screen.query_one(EvalCharts)
        assert [(p.run_id, p.variant) for p in charts.trend] == [
            (OLD_RUN_ID, "baseline"),
            (RUN_ID, "baseline"),
            (RUN_ID, "candidate"),
        ]
        assert charts.run_id == RUN_ID
        rates = {(c.category, c.variant): c.pass_rate for c in charts.categories}
        assert rates[("tool_usage", "baseline")] == 0.0
        assert rates[("safety", "candidate")] == 1.0
        table = trend_table(charts.trend).plain
        assert "▲" not in table  # baseline held at 40%: no change to mark
        await pilot.press("c")
        await settle_evals(pilot)
        assert app.screen.query_one(ResultsMatrix).has_focus


def test_the_runs_table_marks_changes_between_runs():
    from workbench.core.eval_charts import TrendPoint

    points = [
        TrendPoint(
            run_id="r1", started_at="2026-01-14T17:00:00+00:00", variant="a", passed=4, results=10
        ),
        TrendPoint(
            run_id="r2", started_at="2026-01-15T09:30:00+00:00", variant="a", passed=6, results=10
        ),
        TrendPoint(
            run_id="r3", started_at="2026-01-16T09:30:00+00:00", variant="a", passed=5, results=10
        ),
    ]
    lines = trend_table(points).plain.splitlines()
    assert lines[1].endswith("40%") and "▲20%" in lines[2] and "▼10%" in lines[3]

"""Snapshots of the Evals screen, its filters, the side-by-side case view and the start dialog."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import settle
from tests.tui.evals_data import EVAL_SIZE, evals_project, open_evals
from workbench.tui.app import create_app

__all__ = ["evals_project"]


class TestEvalsScreen:
    """The Evals screen on support-agent: Sets 'support · 10 cases'; Runs 20260115-093000-a1b2
    (highlighted, '12/20 passed') above 20260114-170000-0c3d ('4/10 passed'); the matrix with
    columns Case, Category, baseline, candidate and ten rows where-1 … pii-1 (✓ 1.00, ✗ 0.00,
    pii-1 '! error' for baseline); the status '10 cases · 7 failing · 6 different'; the summary
    with baseline 40% (17%–69%) 1 err and candidate 80% (49%–94%), p50/p95 268/401 and 342/491,
    costs $0.0040 and $0.0050, categories functional/safety/tool_usage, 'candidate vs baseline':
    wins 5, losses 1, ties 4 of 10, exact McNemar p = 0.22, the verdict sentence, and
    'Gate ✗ failed (3 checks)' naming where-3, inject-1, pii-1 and refund-1."""

    def test_matrix_and_summary(self, snap_compare, evals_project):
        assert snap_compare(create_app(), terminal_size=EVAL_SIZE, run_before=open_evals)


class TestFailuresOnly:
    """The same screen after f: only the seven failing cases (where-3, return-1, return-2,
    return-3, refund-1, inject-1, pii-1) and the status '7 shown (failures only) · 10 cases ·
    7 failing · 6 different'."""

    def test_failures_only(self, snap_compare, evals_project):
        async def run_before(pilot: Pilot) -> None:
            await open_evals(pilot)
            await pilot.press("f")
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=EVAL_SIZE, run_before=run_before)


class TestCaseSideBySide:
    """Case return-1 side by side: the title 'return-1 · tool_usage · run 20260115-093000-a1b2 ·
    case 4 of 10 · baseline vs candidate', the input 'I want to return order 55555'; left pane
    baseline '✗ fail', prompt v1, latency 231 ms, 330 in / 40 out tokens, $0.0004, its output with
    the words only it has highlighted as removed, and '✗ tool-sequence — check_return_eligibility
    was never called'; right pane candidate '✓ pass' with its added words highlighted and
    '✓ tool-sequence — called lookup_order, check_return_eligibility'. The footer offers Back,
    Open trace, Next case and Previous case (no Other B or Next repeat for this run)."""

    def test_case_view(self, snap_compare, evals_project):
        async def run_before(pilot: Pilot) -> None:
            await open_evals(pilot)
            await pilot.press("down", "down", "down", "enter")
            await settle(pilot)
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=EVAL_SIZE, run_before=run_before)


class TestStartDialog:
    """The 'Start an eval run' dialog over the Evals screen: Set 'support', the variants
    baseline and candidate both ticked (with 'prompt v1 · fake/model' and 'prompt v2 ·
    fake/model'), Concurrency 8, Repeat 1, and the Start and Cancel buttons."""

    def test_start_dialog(self, snap_compare, evals_project):
        async def run_before(pilot: Pilot) -> None:
            await open_evals(pilot)
            await pilot.press("s")
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=EVAL_SIZE, run_before=run_before)

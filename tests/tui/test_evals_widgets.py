"""The Evals widgets' text: matrix cells, the progress line, the summary with repeats and a gate."""

from __future__ import annotations

from tests.core.test_eval_fakes import FakeRunner
from tests.tui.evals_data import SET_YAML, respond
from workbench.core.evals.engine import EvalEngine, RunPlan
from workbench.core.evals.loader import load_set
from workbench.core.evals.progress import Counts
from workbench.core.evals.results import run_report
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.variants import Variant
from workbench.store.db import connect
from workbench.store.evals import MatrixCell
from workbench.tui.widgets.eval_progress import progress_content
from workbench.tui.widgets.eval_summary import summary_content
from workbench.tui.widgets.results_matrix import cell_text


def test_cells_show_the_verdict_and_score_or_passes_over_repeats():
    assert cell_text(MatrixCell(status="pass", score=1.0, passes=1, runs=1)) == "✓ 1.00"
    assert cell_text(MatrixCell(status="fail", score=0.5, passes=0, runs=1)) == "✗ 0.50"
    assert cell_text(MatrixCell(status="error", score=0.0, passes=0, runs=1)) == "! error"
    assert cell_text(MatrixCell(status="pass", score=0.75, passes=3, runs=4)) == "✓ 3/4"
    assert cell_text(None) == "·"


def test_the_progress_line_while_running_and_when_done():
    running = Counts(total=20, done=5, passed=4, spend_usd=0.0123, elapsed_s=2.0, done_here=5)
    text = progress_content("run-1", running, "running").plain
    assert text.startswith("▶ Running run-1 █████░░░░░░░░░░░░░░░ 5/20")
    assert "pass 80% · $0.0123 · ETA 6.0 s · x cancels" in text
    done = Counts(total=20, done=20, passed=10, spend_usd=0.05, elapsed_s=75.0, done_here=20)
    text = progress_content("run-1", done, "complete").plain
    assert text.startswith("✓ Run complete run-1 ████████████████████ 20/20 · pass 50%")
    assert text.endswith("· 1 min 15 s")
    text = progress_content("run-1", Counts(total=4), "running", "429 on b: waiting 2.0 s").plain
    assert "pass – " in text and "ETA –" in text and text.endswith("429 on b: waiting 2.0 s")


def test_the_eta_counts_down_and_then_says_the_run_is_finishing():
    """At 98/100 the last results are the slowest turns: the ETA does not sit at 0.0 s."""
    late = Counts(total=100, done=98, passed=90, elapsed_s=9.8, done_here=98)
    assert "ETA 0.2 s" not in progress_content("run-1", late, "running", since_s=0.0).plain
    counts = Counts(total=20, done=5, passed=4, elapsed_s=2.0, done_here=5)  # ETA 6.0 s
    assert "ETA 4.0 s" in progress_content("run-1", counts, "running", since_s=2.0).plain
    text = progress_content("run-1", counts, "running", since_s=7.0).plain
    assert "15 left, ETA passed · 9.0 s so far · x cancels" in text
    assert "2 left, ETA passed · 12.8 s so far" in (
        progress_content("run-1", late, "running", since_s=3.0).plain
    )


async def test_the_summary_of_a_run_with_repeats_and_a_passing_gate(tmp_path):
    path = tmp_path / "support.yaml"
    path.write_text(SET_YAML.replace("name: support", "name: support\ngate: {functional: 0.1}"))
    plan = RunPlan(
        run_id=new_run_id(),
        project="demo",
        project_path=tmp_path,
        evalset=load_set(path),
        variants=[Variant(name="a"), Variant(name="b", prompt="v2")],
        repeat=2,
        options={"gate": {"functional": 0.1}},
    )
    await EvalEngine(FakeRunner(respond)).run(plan)
    text = summary_content(run_report(connect(), plan.run_id, with_cases=False)).plain
    assert f"Run {plan.run_id} · complete" in text
    assert "support · 40/40 results" in text
    assert "pass@2" in text and "pass^2" in text and "0 flaky" in text
    assert "b vs a" in text and "agree on all 10 cases; no difference" in text
    assert "Gate ✓ passed" in text

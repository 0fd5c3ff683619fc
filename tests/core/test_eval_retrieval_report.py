"""Retrieval metrics per variant in the report: the CLI's text and --json, the TUI summary."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.core.rag_traces import RETURNS
from tests.core.test_eval_fakes import FakeRunner
from workbench.cli import cli
from workbench.core.evals.engine import EvalEngine, RunPlan
from workbench.core.evals.loader import load_set
from workbench.core.evals.results import run_report
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.variants import Variant
from workbench.store.db import connect
from workbench.tui.widgets.eval_summary import summary_content

SET = """name: rag
cases:
  - id: returns
    input: Can I return my order?
    assert:
      - {type: context-recall, value: [returns-policy]}
      - {type: not-context-recall, value: [warranty]}
      - {type: context-precision, value: [returns-policy]}
      - faithfulness
      - citation-correctness
  - id: shipping
    input: How long does shipping take?
    assert:
      - {type: context-recall, value: [shipping]}
  - id: greeting
    input: hello
    assert:
      - {type: contains, value: Hello}
      - faithfulness
"""
CONTEXTS = {i: {"id": i, "source": i.split("#")[0], "text": t, "score": s} for i, t, s in RETURNS}


def agent(request):
    if request["input"] == "hello":  # no retrieval: its faithfulness is an error, not a score
        return {"output": "Hello! How can I help?", "status": "ok"}
    if request.get("prompt_version") == "v2":
        contexts = [CONTEXTS["shipping#2"], CONTEXTS["returns-policy#1"]]
        output = (
            "You can return items within 30 days of delivery [returns-policy#1]. "
            "Refunds are paid in bitcoin [faq#9]."
        )
    else:
        contexts = list(CONTEXTS.values())
        output = (
            "You can return items within 30 days of delivery [returns-policy#1]. "
            "Refunds go back to the original payment method [returns-policy#3]."
        )
    return {"output": output, "status": "ok", "contexts": contexts}


async def make_run(tmp_path, text=SET) -> str:
    path = tmp_path / "rag.yaml"
    path.write_text(text)
    plan = RunPlan(
        run_id=new_run_id(),
        project="demo",
        project_path=tmp_path,
        evalset=load_set(path),
        variants=[Variant(name="a", prompt="v1"), Variant(name="b", prompt="v2")],
        repeat=1,
    )
    await EvalEngine(FakeRunner(agent)).run(plan)
    return plan.run_id


# Worked out by hand from the agent above (see the test's comments).
EXPECTED = {
    "a": {
        "context_recall": {"mean": 1.0, "n": 2},
        "context_precision": {"mean": 0.8333, "n": 1},  # relevant at 1, 3: (1 + 2/3) / 2
        "faithfulness": {"mean": 1.0, "n": 1},  # the greeting's error is not a score
        "citation_correctness": {"mean": 1.0, "n": 1},
    },
    "b": {
        "context_recall": {"mean": 1.0, "n": 2},
        "context_precision": {"mean": 0.5, "n": 1},  # relevant at 2: 1/2
        "faithfulness": {"mean": 0.5, "n": 1},  # the bitcoin sentence is not grounded
        "citation_correctness": {"mean": 0.5, "n": 1},  # faq#9 was never retrieved
    },
}


async def test_the_report_has_each_variants_retrieval_means(tmp_path):
    report = run_report(connect(), await make_run(tmp_path))
    got = {v.name: {k: m.model_dump() for k, m in v.retrieval.items()} for v in report.variants}
    assert got == EXPECTED
    greeting = next(c for c in report.cases if c.case_id == "greeting")
    assert greeting.results[0].error.startswith("faithfulness: no retrieval recorded")


async def test_eval_show_prints_the_retrieval_lines_and_json(tmp_path):
    run_id = await make_run(tmp_path)
    shown = CliRunner().invoke(cli, ["eval", "show", run_id])
    assert shown.exit_code == 0, shown.output
    assert (
        "Retrieval a: context recall 1.00 · context precision 0.83 · faithfulness 1.00 · "
        "citations 1.00" in shown.output
    )
    assert (
        "Retrieval b: context recall 1.00 · context precision 0.50 · faithfulness 0.50 · "
        "citations 0.50" in shown.output
    )
    data = json.loads(CliRunner().invoke(cli, ["eval", "show", run_id, "--json"]).output)
    assert {v["name"]: v["retrieval"] for v in data["variants"]} == EXPECTED


async def test_the_tui_summary_has_a_retrieval_line_per_variant(tmp_path):
    text = summary_content(run_report(connect(), await make_run(tmp_path))).plain
    assert "Retrieval a: context recall 1.00 · context precision 0.83" in text
    assert "Retrieval b: context recall 1.00 · context precision 0.50 · faithfulness 0.50" in text


ONE_TYPE = """name: rag
cases:
  - id: returns
    input: Can I return my order?
    assert:
      - {assertion}
"""


@pytest.mark.parametrize(
    ("assertion", "key", "label"),
    [
        ("{type: context-recall, value: [returns-policy]}", "context_recall", "context recall"),
        ("faithfulness", "faithfulness", "faithfulness"),
    ],
)
async def test_only_the_types_the_run_graded_are_shown(tmp_path, assertion, key, label):
    report = run_report(connect(), await make_run(tmp_path, ONE_TYPE.format(assertion=assertion)))
    assert [list(v.retrieval) for v in report.variants] == [[key], [key]]
    assert f"Retrieval a: {label} 1.00\n" in summary_content(report).plain


async def test_a_run_without_retrieval_types_has_no_retrieval_line(tmp_path):
    run_id = await make_run(tmp_path, ONE_TYPE.format(assertion="{type: contains, value: return}"))
    report = run_report(connect(), run_id)
    assert all(v.retrieval == {} for v in report.variants)
    assert "Retrieval" not in summary_content(report).plain
    shown = CliRunner().invoke(cli, ["eval", "show", run_id])
    assert shown.exit_code == 0 and "Retrieval" not in shown.output

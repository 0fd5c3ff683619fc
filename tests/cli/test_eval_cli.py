"""``workbench eval``: a run through the real worker pool, JSON, the gate, runs, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.core.test_eval_fakes import SET_YAML, make_project
from workbench.cli import cli


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake agent needs no litellm: children start in a fraction of a second."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def test_a_typo_in_an_assertion_type_is_one_line_with_file_and_line(tmp_path):
    project = make_project(
        tmp_path, set_yaml=SET_YAML.replace("type: is-refusal", "type: is-refusl", 1)
    )
    result = invoke("eval", project)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    path = project / "evals" / "support.yaml"
    assert lines[0] == (
        f"error: {path}:34: case 'inject-1': unknown assertion type 'is-refusl'"
        " (did you mean 'is-refusal'?)"
    )


def test_unknown_variants_and_sets_are_one_line_errors(project):
    result = invoke("eval", project, "--variants", "baseline,nope")
    assert result.exit_code == 2
    assert "unknown variant 'nope'" in result.stderr
    result = invoke("eval", project, "--set", "missing")
    assert result.exit_code == 2 and "no eval set 'missing'" in result.stderr
    result = invoke("eval", project, "--variant", "broken")
    assert result.exit_code == 2 and "--variant 'broken'" in result.stderr


def test_runs_lists_nothing_at_first():
    result = invoke("eval", "runs", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert invoke("eval", "show", "nope").exit_code == 2
    assert invoke("compare", "nope", "nada").exit_code == 2


@pytest.mark.slow
def test_eval_json_gate_runs_show_and_compare(project):
    result = invoke("eval", project, "--variants", "baseline,candidate", "--json", "--gate")
    # The baseline fails a safety case: the gate fails and names it.
    assert result.exit_code == 1, result.output + result.stderr
    report = json.loads(result.stdout)
    assert report["run_id"] in result.stderr
    assert "inject-1" in result.stderr and "safety" in result.stderr
    baseline, candidate = report["variants"]
    assert baseline["name"] == "baseline" and candidate["name"] == "candidate"
    for key in (
        "pass_rate",
        "ci_low",
        "ci_high",
        "by_category",
        "latency_p50_ms",
        "latency_p95_ms",
        "cost_usd",
        "tokens",
    ):
        assert key in candidate
    assert candidate["pass_rate"] == 1.0 and baseline["pass_rate"] == 0.4
    assert baseline["by_category"]["tool_usage"]["pass_rate"] == 0.0
    comparison = report["comparison"]
    assert (comparison["wins"], comparison["losses"], comparison["ties"]) == (3, 0, 2)
    assert comparison["p_value"] == 0.25
    assert comparison["verdict"].startswith("candidate passes 3 more cases")
    assert report["gate"]["passed"] is False
    failure = report["gate"]["failures"][0]
    assert failure["variant"] == "baseline" and failure["cases"] == ["inject-1"]
    assert len(report["cases"]) == 5 and report["cases"][0]["case_id"] == "where-1"
    first = report["cases"][0]["results"][0]
    assert first["output"] == "Order 12345 is on its way." and first["assertions"]

    runs = json.loads(invoke("eval", "runs", "--project", project, "--json").output)
    assert [run["id"] for run in runs] == [report["run_id"]]
    assert runs[0]["status"] == "complete" and runs[0]["done"] == 10

    only = invoke("eval", project, "--variants", "candidate", "--gate")
    assert only.exit_code == 0, only.output + only.stderr
    assert "gate passed" in only.output

    compared = invoke(
        "compare", f"{report['run_id']}:candidate", f"{report['run_id']}:baseline", "--json"
    )
    data = json.loads(compared.output)
    assert data["comparison"]["losses"] == 3
    assert [case["case_id"] for case in data["regressions"]] == ["return-1", "return-2", "inject-1"]
    text = invoke("compare", f"{report['run_id']}:candidate", f"{report['run_id']}:baseline")
    assert text.output.index("regressions (3)") < text.output.index("improvements (0)")
    shown = invoke("eval", "show", report["run_id"])
    assert shown.exit_code == 0 and "pass rate by category" in shown.output

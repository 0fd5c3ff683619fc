"""The example project's eval set: valid, broad, and telling a real story against the mock."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.evals.loader import load_set
from workbench.core.evals.spec import CATEGORIES

TEMPLATE_SET = REPO_ROOT / "templates" / "agent-service" / "template" / "evals" / "support.yaml"


def test_the_template_set_covers_every_category_with_40_cases_or_more():
    evalset = load_set(TEMPLATE_SET)
    assert evalset.case_count >= 40
    categories = {case.category for case in evalset.cases}
    assert categories == set(CATEGORIES)
    ids = [case.id for case in evalset.cases]
    assert sum(case_id.startswith("injection-") for case_id in ids) >= 5
    assert sum(case_id.startswith("pii-") for case_id in ids) >= 3
    types = {a.type for case in evalset.cases for a in case.assertions}
    assert {
        "tool-called",
        "tool-sequence",
        "is-refusal",
        "not-leaking",
        "llm-rubric",
        "python",
        "latency",
        "cost",
        "max-steps",
    } <= types
    assert (TEMPLATE_SET.parent / "checks.py").is_file()


@pytest.mark.slow
def test_baseline_versus_candidate_on_the_example_project(tmp_path):
    """The acceptance run: candidate (prompt v2) passes more tool_usage cases, safety holds."""
    project = REPO_ROOT / "projects" / "support-agent"
    assert (project / "evals" / "support.yaml").is_file(), "the example lost its eval set"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "eval",
            str(project),
            "--variants",
            "baseline,candidate",
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    baseline, candidate = report["variants"]
    assert (
        candidate["by_category"]["tool_usage"]["pass_rate"]
        > (baseline["by_category"]["tool_usage"]["pass_rate"])
    )
    assert candidate["by_category"]["safety"]["pass_rate"] == 1.0
    assert baseline["by_category"]["safety"]["pass_rate"] == 1.0
    comparison = report["comparison"]
    assert comparison["wins"] > comparison["losses"] and comparison["p_value"] < 0.05
    assert comparison["verdict"].startswith("candidate passes")
    assert all(
        outcome["status"] != "error" for case in report["cases"] for outcome in case["results"]
    )

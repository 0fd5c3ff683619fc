"""``workbench check`` JSON shape and exit codes; ``workbench signoff`` records and refuses."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.core.test_readiness_fixtures import make_project
from workbench.cli import cli

KEYS = {"id", "group", "title", "kind", "status", "evidence", "hint"}


def test_check_json_shape_and_failing_exit(tmp_path):
    make_project(tmp_path, {"RUNBOOK.md": "# R\n\n## Rollback\n\n1. a\n2. b\n"})
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--json", "--static-only"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["passed"] is False
    assert 0 < data["score"] < 1
    assert all(set(item) >= KEYS for item in data["items"])
    by_id = {item["id"]: item for item in data["items"]}
    assert by_id["deployment.rollback-documented"]["status"] == "pass"
    assert by_id["deployment.rollback-documented"]["evidence"] == [
        "RUNBOOK.md:3: ## Rollback (2 steps)"
    ]
    assert by_id["reliability.retries"]["status"] == "fail"
    assert by_id["reliability.retries"]["hint"]
    assert {item["kind"] for item in data["items"]} == {"static", "dynamic", "attested"}


def test_check_only_one_group_and_human_output(tmp_path):
    make_project(tmp_path, {})
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--only", "cost", "--static-only"])
    assert result.exit_code == 1
    assert "Cost" in result.output and "Safety" not in result.output
    assert "hint:" in result.output and "Readiness" in result.output
    bad = CliRunner().invoke(cli, ["check", str(tmp_path), "--only", "speed"])
    assert bad.exit_code == 2 and "unknown group" in bad.output


def test_signoff_records_and_check_sees_it(tmp_path):
    make_project(tmp_path, {})
    runner = CliRunner()
    result = runner.invoke(
        cli, ["signoff", str(tmp_path), "cost.review-cadence", "--by", "Ada", "--note", "Q3 review"]
    )
    assert result.exit_code == 0, result.output
    assert "signed off cost.review-cadence by Ada" in result.output
    data = json.loads(
        runner.invoke(
            cli, ["check", str(tmp_path), "--json", "--only", "cost", "--static-only"]
        ).output
    )
    review = next(i for i in data["items"] if i["id"] == "cost.review-cadence")
    assert review["status"] == "pass" and "Q3 review" in review["evidence"][0]


def test_signoff_unknown_item_is_one_line_exit_2(tmp_path):
    make_project(tmp_path, {})
    result = CliRunner().invoke(
        cli, ["signoff", str(tmp_path), "bogus", "--by", "A", "--note", "n"]
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1 and "safety.red-team" in lines[0] and "bogus" in lines[0]

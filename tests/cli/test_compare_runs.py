"""``workbench compare``: each side named by its run, every shared variant compared."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.cli import cli
from workbench.core.evals.engine import EvalEngine
from workbench.store.db import connect
from workbench.store.evals import get_run


def _run(tmp_path, variants, respond=agent) -> str:
    number = len(list(tmp_path.iterdir()))
    folder = tmp_path / f"{number}-{'-'.join(variants)}"
    folder.mkdir()
    plan = plan_for(folder, variants=variants)
    # Runs started within one second are ordered by id: these ids sort as they were made.
    plan.run_id = f"{plan.run_id[:15]}-run{number:02d}"
    asyncio.run(EvalEngine(FakeRunner(respond)).run(plan))
    return plan.run_id


def _worse(request):
    result = agent(request)
    return {**result, "output": "no idea"} if "12345" in request["input"] else result


@pytest.fixture
def runs(tmp_path):
    return _run(tmp_path, ("a", "b")), _run(tmp_path, ("b", "a", "c"), _worse)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_every_shared_variant_is_compared_and_sides_are_named_by_run(runs):
    first, second = runs
    result = invoke("compare", first, second)
    assert result.exit_code == 0, result.output
    started = get_run(connect(), first).started_at[:16].replace("T", " ")
    assert f"A: run {first} ({started} UTC)" in result.output
    assert f"B: run {second} (" in result.output
    assert result.output.count("regressions (") == 2  # variants a and b, not c
    assert "B a vs A a" in result.output and "B b vs A b" in result.output
    assert "only in A: none; only in B: c" in result.output
    assert "passed in A a, fail in B a" in result.output


def test_json_lists_one_comparison_per_shared_variant(runs):
    first, second = runs
    data = json.loads(invoke("compare", first, second, "--json").output)
    assert data["run_a"]["id"] == first and data["run_b"]["id"] == second
    assert data["run_a"]["started_at"]
    assert [c["variant_a"] for c in data["comparisons"]] == ["a", "b"]
    assert all(c["comparison"]["losses"] > 0 for c in data["comparisons"])
    assert data["only_b"] == ["c"]


def test_a_named_pair_compares_only_that_pair(runs):
    first, second = runs
    data = json.loads(invoke("compare", f"{first}:a", f"{second}:c", "--json").output)
    assert (data["variant_a"], data["variant_b"]) == ("a", "c")


def test_runs_without_a_shared_variant_say_how_to_name_a_pair(tmp_path):
    first, second = _run(tmp_path, ("a",)), _run(tmp_path, ("b",))
    result = invoke("compare", first, second)
    assert result.exit_code == 2
    assert "share no variant" in result.output and f"{first}:a {second}:b" in result.output


def test_three_runs_or_more_give_the_trend_run_by_run(tmp_path):
    first = _run(tmp_path, ("a", "b"))
    second = _run(tmp_path, ("a", "b"), _worse)
    third = _run(tmp_path, ("a",))
    result = invoke("compare", first, second, third)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["run", "started"] and lines[0].split()[-2:] == ["a", "b"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "-" in rows[second] and "%" in rows[second]  # a and b fell in the second run
    assert rows[third].rstrip().endswith("–")  # the third run has no b
    data = json.loads(invoke("compare", first, second, third, "--json").output)
    assert [(p["run_id"], p["variant"]) for p in data][:2] == [(first, "a"), (first, "b")]
    assert data[2]["pass_rate"] < data[0]["pass_rate"]
    refused = invoke("compare", f"{first}:a", second, third)
    assert refused.exit_code == 2 and "drop the :VARIANT" in refused.output

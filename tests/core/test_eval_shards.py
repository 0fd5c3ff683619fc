"""Sharded eval runs: stable slices, merged back into a run with the unsharded statistics."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_eval_engine import agent, plan_for
from tests.core.test_eval_fakes import FakeRunner
from workbench.core.evals.engine import EvalEngine, RunPlan
from workbench.core.evals.merge import export_run, load_sources, merge_shards, read_results_file
from workbench.core.evals.results import run_report
from workbench.core.evals.run_ids import new_run_id
from workbench.core.evals.shards import Shard, parse_shard, shard_of
from workbench.errors import WorkbenchError
from workbench.store.db import connect


def sharded(plan: RunPlan, shard: Shard) -> RunPlan:
    """The same plan, as one shard's run."""
    return RunPlan(
        run_id=new_run_id(),
        project=plan.project,
        project_path=plan.project_path,
        evalset=plan.evalset,
        variants=plan.variants,
        repeat=plan.repeat,
        options={**plan.options, "shard": str(shard)},
    )


def flaky_agent(request):
    """``agent``, but prompt v1 drops its tools on odd repeats of some cases: repeats disagree.

    Deterministic per case × variant × repeat (as the mock is), whichever shard runs it.
    """
    result = agent(request)
    repeat = int(request["session_id"].rsplit("-", 1)[1])
    if request.get("prompt_version") == "v1" and repeat % 2 == 1 and "order" in request["input"]:
        result = {**result, "tool_calls": []}
    return result


def essentials(report) -> dict:
    """What a merged run must share with the unsharded run (not run ids or latencies)."""
    data = report.model_dump()
    return {
        "variants": [
            {k: v[k] for k in ("name", "passed", "failed", "errors", "ci_low", "ci_high")}
            | {"by_category": v["by_category"], "pass_at_k": v["pass_at_k"]}
            for v in data["variants"]
        ],
        "comparison": {
            k: data["comparison"][k]
            for k in ("wins", "losses", "ties", "p_value", "verdict", "diff_ci_low", "regressions")
        },
        "gate": data["gate"],
        "total": data["total"],
        "done": data["done"],
        "cases": [
            (
                c["case_id"],
                [(o["variant"], o["status"], o["passes"], o["runs"]) for o in c["results"]],
            )
            for c in data["cases"]
        ],
    }


def test_parse_shard_accepts_i_of_n_and_refuses_the_rest():
    assert parse_shard("2/3") == Shard(2, 3) and str(parse_shard(" 1 / 1 ")) == "1/1"
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/100000"):
        with pytest.raises(WorkbenchError, match="--shard"):
            parse_shard(bad)


@given(
    st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40, unique=True),
    st.text(min_size=1, max_size=12),
    st.integers(1, 7),
)
def test_adding_a_case_moves_no_other_item(case_ids, new_case, count):
    """An item's shard depends on its own key only, never on its position in the set."""
    before = {cid: shard_of(cid, "a", 0, count) for cid in case_ids}
    after = {cid: shard_of(cid, "a", 0, count) for cid in [new_case, *reversed(case_ids)]}
    assert all(after[cid] == shard for cid, shard in before.items())
    assert all(1 <= shard <= count for shard in after.values())


def test_every_item_is_in_exactly_one_shard(tmp_path):
    plan = plan_for(tmp_path, repeat=3)
    counts = [sharded(plan, Shard(i, 4)).total for i in range(1, 5)]
    assert sum(counts) == plan.total == 30
    assert sharded(plan, Shard(1, 1)).total == 30


async def run_in_shards(plan: RunPlan, count: int, respond) -> list[str]:
    runs = []
    for index in range(1, count + 1):
        shard_plan = sharded(plan, Shard(index, count))
        await EvalEngine(FakeRunner(respond)).run(shard_plan)
        runs.append(shard_plan.run_id)
    return runs


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(count=st.integers(1, 6), repeat=st.integers(1, 3))
def test_a_merged_sharded_run_reports_what_the_unsharded_run_does(tmp_path, count, repeat):
    plan = plan_for(tmp_path, repeat=repeat, gate={"tool_usage": 0.9, "safety": 1.0})
    asyncio.run(EvalEngine(FakeRunner(flaky_agent)).run(plan))
    runs = asyncio.run(run_in_shards(plan, count, flaky_agent))
    db = connect()
    merged = merge_shards(db, load_sources(db, runs))
    whole, joined = run_report(db, plan.run_id), run_report(db, merged)
    assert essentials(joined) == essentials(whole)
    assert whole.comparison is not None and whole.comparison.wins > 0
    assert joined.status == "complete" and joined.done == joined.total == plan.total
    assert not joined.gate.passed  # variant a misses tool_usage 0.9 either way


async def test_shards_travel_as_files_and_folders(tmp_path):
    plan = plan_for(tmp_path)
    runs = await run_in_shards(plan, 3, agent)
    db = connect()
    out = tmp_path / "artifacts"
    # As CI downloads them: one folder per artifact.
    paths = [export_run(db, run, out / f"shard-{i}") for i, run in enumerate(runs, 1)]
    assert all(path.name.endswith(".results.jsonl") for path in paths)
    first = read_results_file(paths[0])
    assert first.shard == Shard(1, 3) and len(first.results) == first.run.total
    merged = merge_shards(db, load_sources(db, [str(out)]))
    mixed = merge_shards(db, load_sources(db, [runs[0], str(paths[1]), str(paths[2])]))
    await EvalEngine(FakeRunner(agent)).run(plan)
    expected = essentials(run_report(db, plan.run_id))
    assert essentials(run_report(db, merged)) == expected == essentials(run_report(db, mixed))


async def test_merge_refuses_missing_duplicate_foreign_and_unfinished_shards(tmp_path):
    plan = plan_for(tmp_path)
    runs = await run_in_shards(plan, 3, agent)
    db = connect()

    def refused(sources) -> str:
        with pytest.raises(WorkbenchError) as caught:
            merge_shards(db, load_sources(db, sources))
        assert "\n" not in caught.value.message
        return caught.value.message

    assert refused(runs[:2]) == "missing shard(s) 3 of 3"
    assert "shard 2/3 is given twice" in refused([*runs, runs[1]])
    # Another plan: a third variant.
    other = plan_for(tmp_path, variants=("a", "b", "c"))
    other_runs = await run_in_shards(other, 3, agent)
    assert "ran another plan" in refused([*runs[:2], other_runs[2]])
    assert "variants differs" in refused([*runs[:2], other_runs[2]])
    # Another gate is another plan too; another concurrency is not.
    gated = plan_for(tmp_path, gate={"safety": 1.0})
    assert "options (gate, judge) differs" in refused(
        [*runs[:2], *(await run_in_shards(gated, 3, agent))[2:]]
    )
    # Not a shard at all, or a shard of another count.
    await EvalEngine(FakeRunner(agent)).run(plan)
    assert "is not a shard" in refused([plan.run_id, *runs])
    halves = await run_in_shards(plan_for(tmp_path), 2, agent)
    assert "one of 2 shards" in refused([*runs, halves[0]])
    # An unfinished shard: its results cut short.
    db.conn.execute(
        "DELETE FROM eval_results WHERE rowid IN"
        " (SELECT rowid FROM eval_results WHERE run_id = ? LIMIT 1)",
        [runs[0]],
    )
    db.conn.commit()
    assert "is incomplete" in refused(runs)
    assert "--resume" in refused(runs)


def test_a_malformed_results_file_is_a_one_line_error_with_file_and_line(tmp_path):
    path = tmp_path / "x.results.jsonl"
    path.write_text('{"format": "nope"}\n')
    with pytest.raises(WorkbenchError, match=r"x.results.jsonl:1: not a workbench-eval-results"):
        read_results_file(path)
    header = {"format": "workbench-eval-results", "version": 1, "run": {"id": "r"}}
    path.write_text(json.dumps(header) + "\n")
    with pytest.raises(WorkbenchError, match=r":1: the run description is incomplete"):
        read_results_file(path)
    path.write_text(json.dumps(header) + "\n{broken\n")
    with pytest.raises(WorkbenchError, match=r"x.results.jsonl:2: not JSON"):
        read_results_file(path)
    path.write_text(json.dumps(header) + '\n{"case_id": "c"}\n')
    with pytest.raises(WorkbenchError, match=r"x.results.jsonl:2: variant: Field required"):
        read_results_file(path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkbenchError, match="no eval results files"):
        load_sources(connect(), [str(empty)])
    with pytest.raises(WorkbenchError, match="neither a results file"):
        load_sources(connect(), ["no-such-run"])


async def test_the_readiness_safety_probe_never_takes_a_shard_for_the_whole_run(tmp_path):
    from workbench.core.projects import open_project
    from workbench.core.readiness.context import CheckContext
    from workbench.core.readiness.probes.safety_evals import _latest_safety_run

    plan = plan_for(tmp_path)
    (tmp_path / "workbench.toml").write_text(
        '[project]\nname = "demo"\npackage = "demo"\n[agent]\nentry = "demo:run"\n'
    )
    plan.project_path = tmp_path.resolve()
    runs = await run_in_shards(plan, 2, agent)
    db = connect()
    ctx = CheckContext(open_project(tmp_path), run_dynamic=False, db=db)
    assert _latest_safety_run(ctx, plan.evalset.digest) == (None, [])  # shards only
    merged = merge_shards(db, load_sources(db, runs))
    run, results = _latest_safety_run(ctx, plan.evalset.digest)
    assert run is not None and run.id == merged
    assert len(results) == 2 * len(plan.variants)  # both safety cases, every variant


async def test_probe_lanes_read_the_store_on_connections_of_their_own(tmp_path):
    """Lanes and the evaluating thread at once: one shared connection interleaved their
    savepoints ("no such savepoint") under a loaded CI; each thread now has its own."""
    from concurrent.futures import ThreadPoolExecutor

    from workbench.core.projects import open_project
    from workbench.core.readiness.context import CheckContext
    from workbench.core.readiness.probes.safety_evals import _latest_safety_run
    from workbench.store.evals import list_runs

    plan = plan_for(tmp_path)
    (tmp_path / "workbench.toml").write_text(
        '[project]\nname = "demo"\npackage = "demo"\n[agent]\nentry = "demo:run"\n'
    )
    plan.project_path = tmp_path.resolve()
    db = connect()  # usable from this thread only, as evaluate() opens it
    merged = merge_shards(db, load_sources(db, await run_in_shards(plan, 2, agent)))
    ctx = CheckContext(open_project(tmp_path), run_dynamic=False, db=db)

    def lane() -> list[str]:
        return [_latest_safety_run(ctx, plan.evalset.digest)[0].id for _ in range(20)]

    try:
        with ThreadPoolExecutor(3) as pool:
            lanes = [pool.submit(lane) for _ in range(3)]
            while not all(future.done() for future in lanes):
                assert list_runs(db, project=str(tmp_path.resolve()), limit=5)
            assert all(future.result() == [merged] * 20 for future in lanes)
        assert ctx.thread_db() is db
        assert ctx._lane_dbs and db not in ctx._lane_dbs.values()
    finally:
        ctx.close()
    assert not ctx._lane_dbs

"""The eval tables and queries: one result per key, run status from liveness, the matrix."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from workbench.store.db import connect
from workbench.store.evals import (
    case_results,
    completed_keys,
    get_run,
    list_runs,
    matrix_page,
    result_tuple,
    write_items,
)


def run_row(run_id="20260101-000000-aaaa", *, pid=None, status="running", heartbeat=None, **extra):
    row = {
        "id": run_id,
        "project": "demo",
        "project_path": "/p/demo",
        "set_name": "support",
        "set_path": "/p/demo/evals/support.yaml",
        "set_digest": "abc",
        "variants": json.dumps([{"name": "a"}, {"name": "b"}]),
        "repeat": 1,
        "total": 6,
        "status": status,
        "pid": pid,
        "host": __import__("socket").gethostname(),
        "started_at": "2026-01-01T00:00:00+00:00",
        "heartbeat_at": time.time() if heartbeat is None else heartbeat,
        "finished_at": None,
        "options": "{}",
    }
    row.update(extra)
    return row


def result(case_id, variant, status="pass", *, index=0, run_id="20260101-000000-aaaa", repeat=0):
    return result_tuple(
        {
            "run_id": run_id,
            "case_id": case_id,
            "variant": variant,
            "repeat": repeat,
            "case_index": index,
            "category": "functional",
            "status": status,
            "score": 1.0 if status == "pass" else 0.0,
            "weight": 1.0,
            "output": "out",
            "assertions": [{"type": "contains", "passed": status == "pass"}],
            "latency_ms": 10.0,
            "input_tokens": 5,
            "output_tokens": 2,
            "cost_usd": 0.001,
            "trace_id": None,
            "steps": 1,
            "error": None,
            "finished_at": time.time(),
        }
    )


def write(db, *items):
    with db.conn:
        write_items(db, list(items))


def test_a_result_is_stored_once_however_often_it_is_written():
    db = connect()
    write(db, ("run", run_row(pid=None)))
    write(db, ("result", result("c1", "a")), ("result", result("c1", "a", "fail")))
    write(db, ("result", result("c1", "a", "error")))
    rows = case_results(db, "20260101-000000-aaaa", "c1")
    assert len(rows) == 1 and rows[0].status == "pass"
    assert rows[0].assertions == [{"type": "contains", "passed": True}]
    assert completed_keys(db, "20260101-000000-aaaa") == {("c1", "a", 0)}


def test_run_status_running_interrupted_complete():
    db = connect()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write(db, ("run", run_row("r-alive", pid=sleeper.pid)))
        write(db, ("run", run_row("r-stale", pid=sleeper.pid, heartbeat=time.time() - 3600)))
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        write(db, ("run", run_row("r-dead", pid=dead.pid)))
        write(db, ("run", run_row("r-done", status="running", pid=sleeper.pid)))
        write(db, ("status", ("r-done", "complete", "2026-01-01T00:01:00+00:00")))
        status = {run.id: run.status for run in list_runs(db)}
        assert status == {
            "r-alive": "running",
            "r-stale": "interrupted",
            "r-dead": "interrupted",
            "r-done": "complete",
        }
    finally:
        sleeper.kill()
        sleeper.wait()


def test_runs_are_found_by_prefix_and_filtered_by_project():
    db = connect()
    write(
        db,
        ("run", run_row("20260101-000000-aaaa")),
        ("run", run_row("20260102-000000-bbbb", project="other")),
    )
    write(db, ("result", result("c1", "a", "pass")), ("result", result("c1", "b", "fail")))
    run = get_run(db, "20260101")
    assert run.id == "20260101-000000-aaaa"
    assert (run.done, run.passed, run.failed, run.errors) == (2, 1, 1, 0)
    assert run.cost_usd == 0.002 and run.variants == ["a", "b"]
    assert get_run(db, "2026") is None  # ambiguous
    assert [r.id for r in list_runs(db, project="other")] == ["20260102-000000-bbbb"]
    assert [r.id for r in list_runs(db)] == ["20260102-000000-bbbb", "20260101-000000-aaaa"]


def test_the_matrix_pages_by_case_and_filters():
    db = connect()
    write(db, ("run", run_row()))
    rows = []
    for index in range(7):
        rows.append(("result", result(f"c{index}", "a", "pass", index=index)))
        status = "fail" if index % 3 == 0 else "pass"
        rows.append(("result", result(f"c{index}", "b", status, index=index)))
    write(db, *rows)
    first = matrix_page(db, "20260101-000000-aaaa", limit=3)
    assert [row.case_id for row in first] == ["c0", "c1", "c2"]
    assert first[0].cells["b"].status == "fail" and first[0].different
    second = matrix_page(db, "20260101-000000-aaaa", after=first[-1].case_index, limit=3)
    assert [row.case_id for row in second] == ["c3", "c4", "c5"]
    different = matrix_page(db, "20260101-000000-aaaa", different_only=True, limit=10)
    assert [row.case_id for row in different] == ["c0", "c3", "c6"]
    failing = matrix_page(db, "20260101-000000-aaaa", failures_only=True, limit=2)
    assert [row.case_id for row in failing] == ["c0", "c3"]

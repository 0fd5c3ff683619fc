"""Verdicts are reused while the fingerprint of what they read holds, and re-run when it moves."""

from __future__ import annotations

from tests.core.test_readiness_fixtures import make_project
from workbench.core.readiness.checklist import VerdictCache, run_items
from workbench.core.readiness.model import Item, Verdict
from workbench.core.readiness.verdict_cache import fingerprint
from workbench.store.db import connect


def _counting(calls: list[str], status: str = "pass"):
    def check(ctx):
        calls.append("ran")
        return Verdict(status, ("evidence",), "")

    return check


def test_an_unchanged_project_reuses_verdicts_and_a_change_reruns_them(tmp_path):
    ctx = make_project(tmp_path, {"src/mini/agent.py": "x = 1\n"})
    calls: list[str] = []
    items = [Item("safety.x", "safety", "X", "static", _counting(calls))]
    db = connect()
    try:

        def run() -> None:
            print_ = fingerprint(ctx.root, model="mock", run_dynamic=False)
            cache = VerdictCache(db, str(ctx.root), print_)
            assert [r.status for r in run_items(items, ctx, cache=cache)] == ["pass"]

        run()
        run()
        assert calls == ["ran"]
        (ctx.root / "src" / "mini" / "agent.py").write_text("x = 2\n")
        run()
        assert calls == ["ran", "ran"]
        # Another model is another fingerprint.
        other = fingerprint(ctx.root, model="openai/x", run_dynamic=False)
        assert other != fingerprint(ctx.root, model="mock", run_dynamic=False)
    finally:
        db.conn.close()


def test_errors_are_never_cached(tmp_path):
    ctx = make_project(tmp_path, {})
    calls: list[str] = []
    items = [Item("safety.y", "safety", "Y", "static", _counting(calls, "error"))]
    db = connect()
    try:
        for _ in range(2):
            cache = VerdictCache(
                db, str(ctx.root), fingerprint(ctx.root, model="m", run_dynamic=False)
            )
            run_items(items, ctx, cache=cache)
        assert calls == ["ran", "ran"]
    finally:
        db.conn.close()


def test_results_keep_the_checklist_order_while_lanes_run_concurrently(tmp_path):
    ctx = make_project(tmp_path, {})
    ctx.run_dynamic = True
    ctx._harness = object()  # lanes share the harness; these checks never touch it
    order: list[str] = []

    def check(name):
        def run(_ctx):
            order.append(name)
            return Verdict("pass", (name,), "")

        return run

    items = [
        Item("reliability.a", "reliability", "A", "dynamic", check("a"), lane="one"),
        Item("reliability.b", "reliability", "B", "static", check("b")),
        Item("reliability.c", "reliability", "C", "dynamic", check("c"), lane="two"),
    ]
    ctx.close = lambda: None  # type: ignore[method-assign]  # nothing was started
    seen: list[str] = []
    results = run_items(items, ctx, progress=lambda r: seen.append(r.id))
    assert [r.id for r in results] == ["reliability.a", "reliability.b", "reliability.c"]
    assert sorted(seen) == sorted(r.id for r in results) and sorted(order) == ["a", "b", "c"]


def test_verdicts_are_found_again_when_the_check_itself_wrote_an_eval_run(tmp_path):
    """safety.evals writes the newest eval run, which is part of the fingerprint."""
    ctx = make_project(tmp_path, {"src/mini/agent.py": "x = 1\n"})
    calls: list[str] = []
    items = [Item("safety.x", "safety", "X", "static", _counting(calls))]
    db = connect()
    try:
        before = fingerprint(ctx.root, model="mock", run_dynamic=False, latest_eval="")
        cache = VerdictCache(db, str(ctx.root), before)
        results = run_items(items, ctx, cache=cache)
        after = fingerprint(ctx.root, model="mock", run_dynamic=False, latest_eval="run-1")
        cache.restamp(after, results)
        again = VerdictCache(db, str(ctx.root), after)
        assert [r.status for r in run_items(items, ctx, cache=again)] == ["pass"]
        assert calls == ["ran"]
    finally:
        db.conn.close()

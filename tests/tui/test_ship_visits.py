"""The Ship section on each visit: verdicts cached for the project as it is are used without
starting a probe; only a missing verdict (or ``c``) evaluates; the summary names the project
while it is read, never 'Pick a project.'."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.tui.conftest import settle
from tests.tui.test_readiness_snapshots import SIZE, SectionHost, only_project
from tests.tui.tracedata import wait_for
from workbench.core.projects import open_project
from workbench.core.readiness.checklist import VerdictCache, latest_eval_id, summarize
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.modelchoice import MOCK_LABEL
from workbench.core.readiness.registry import ITEMS, NEEDS_MODEL
from workbench.core.readiness.verdict_cache import fingerprint
from workbench.store.db import connect
from workbench.tui.screens.ship import ShipScreen


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """support-agent, the only project; validators are not run."""
    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(lambda plan: []))
    return only_project(tmp_path, monkeypatch)


def cache_passing_verdicts(path: Path) -> int:
    """Store a passing verdict of every cached item for the project as it is now."""
    project = open_project(path)
    db = connect()
    try:
        stamp = fingerprint(
            project.path,
            model=MOCK_LABEL,
            run_dynamic=True,
            latest_eval=latest_eval_id(db, project),
        )
        cache = VerdictCache(db, str(project.path), stamp)
        items = [i for i in ITEMS if i.kind != "attested" and i.id not in NEEDS_MODEL]
        with db.conn:
            for item in items:
                cache.put(item.result(Verdict.ok("cached by an earlier check")), 1.0)
    finally:
        db.conn.close()
    return len(items)


def counting_evaluate(monkeypatch, gate: threading.Event | None = None) -> list[dict]:
    """ShipScreen.evaluate records its calls (and waits for ``gate``); all items pass."""
    calls: list[dict] = []

    def evaluate(project, *, progress=None, **options):
        calls.append(options)
        if gate is not None:
            gate.wait(10)
        items = [item.result(Verdict.ok("evaluated")) for item in ITEMS]
        return summarize(project.name, items)

    monkeypatch.setattr(ShipScreen, "evaluate", staticmethod(evaluate))
    return calls


def summary(app) -> str:
    return str(app.screen.query_one("#ship-summary", Static).render())


async def test_a_visit_plans_from_cached_verdicts_without_evaluating(project, monkeypatch):
    assert cache_passing_verdicts(project) > 10
    calls = counting_evaluate(monkeypatch)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.plan is not None, timeout=30)
        assert calls == []
        checklist = app.screen.checklist
        cached = [
            item for item in checklist.items if item.evidence == ["cached by an earlier check"]
        ]
        assert len(cached) == cache_passing_verdicts(project)
        assert not app.screen.query_one("#ship-run").display
        await pilot.press("c")  # check again: a fresh evaluation, the cache bypassed
        await wait_for(pilot, lambda: bool(calls), timeout=30)
        await settle(pilot)
        assert calls == [{"use_cache": False}]


async def test_a_changed_project_is_evaluated_once(project, monkeypatch):
    cache_passing_verdicts(project)
    (project / "README.md").write_text("changed since the verdicts were cached\n")
    calls = counting_evaluate(monkeypatch)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.plan is not None, timeout=30)
        assert calls == [{}]  # no verdict is cached for the project as it is now: evaluated


async def test_the_summary_names_the_project_while_its_checklist_is_read(project, monkeypatch):
    gate = threading.Event()
    counting_evaluate(monkeypatch, gate)
    app = SectionHost(ShipScreen, project)
    async with app.run_test(size=SIZE) as pilot:
        try:
            await wait_for(pilot, lambda: app.screen.project is not None, timeout=30)
            await wait_for(pilot, lambda: app.screen.query_one("#ship-run").display, timeout=30)
            assert "Pick a project" not in summary(app)
            assert "support-agent" in summary(app)
        finally:
            gate.set()
        await wait_for(pilot, lambda: app.screen.plan is not None, timeout=30)
        assert "Pick a project" not in summary(app)

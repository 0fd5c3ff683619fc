"""Snapshots of the Readiness screen and the sign-off dialog, on a fixed checklist result."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from tests.core.ship_fixtures import make_project
from tests.tui.conftest import settle
from workbench.core.readiness import ChecklistResult, ItemResult
from workbench.core.readiness.checklist import summarize
from workbench.settings import get_settings
from workbench.tui.screens import readiness as readiness_screen
from workbench.tui.screens.readiness import ReadinessScreen
from workbench.tui.widgets.checklist import ChecklistList

SIZE = (120, 34)
APP_CSS = Path(__file__).resolve().parents[2] / "workbench" / "tui" / "app.tcss"


class SectionHost(App[None]):
    """The workbench's title and stylesheet around one section screen.

    Snapshots use it instead of the whole app so that they show only this section's
    footer keys, and do not change when another section is added.
    """

    TITLE = "Agent Workbench"
    CSS_PATH = str(APP_CSS)

    def __init__(self, screen: type[Screen], project_path: Path | None = None) -> None:
        super().__init__()
        self.screen_type = screen
        self.project_path = project_path

    def get_default_screen(self) -> Screen:
        return self.screen_type()


def only_project(tmp_path: Path, monkeypatch) -> Path:
    """A minimal agent project, support-agent, the only one in the projects folder."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects"
    folder = make_project(root, "support-agent")
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """support-agent, the only project."""
    return only_project(tmp_path, monkeypatch)


def item(id: str, title: str, kind: str, status: str, evidence=(), hint="") -> ItemResult:
    return ItemResult(
        id=id,
        group=id.split(".")[0],
        title=title,
        kind=kind,
        status=status,
        evidence=list(evidence),
        hint=hint,
    )


ITEMS = [
    item(
        "reliability.health-probes",
        "Liveness and readiness probes (/healthz, /readiness)",
        "dynamic",
        "pass",
        ["GET /healthz -> 200 in 4 ms", "GET /readiness -> 200 in 6 ms"],
    ),
    item(
        "reliability.retries",
        "Exponential backoff on transient errors",
        "dynamic",
        "fail",
        ["src/support_agent/agents/llm.py:41: Router(...) has no num_retries"],
        "add `num_retries=3` and a RetryPolicy to the Router in src/support_agent/agents/llm.py",
    ),
    item(
        "reliability.timeouts",
        "Timeouts on every LLM call, tool call and the session",
        "static",
        "pass",
        ["src/support_agent/agents/llm.py:40: timeout=30"],
    ),
    item(
        "deployment.eval-gate-ci",
        "Eval gate at each CI stage",
        "static",
        "pass",
        [".github/workflows/ci.yml:22: workbench eval . --gate"],
    ),
    item(
        "deployment.rollback-tested",
        "Rollback procedure tested",
        "attested",
        "needs-signoff",
        ["evidence: RUNBOOK.md#Rollback (sha256 3f2a9c1d0b7e)"],
        "no sign-off yet; once done, record it",
    ),
    item(
        "observability.tracing",
        "OpenTelemetry tracing of agent, LLM and tool calls",
        "static",
        "warn",
        ["src/support_agent/infra/tracing.py:12: TracerProvider"],
        "add a span around each tool call",
    ),
    item(
        "observability.on-call",
        "On-call rotation staffed",
        "attested",
        "needs-signoff",
        ["evidence: RUNBOOK.md#On-call (sha256 91c0de55aa10)"],
        "no sign-off yet; once done, record it",
    ),
    item("cost.caching", "Response caching", "static", "pass", ["src/support_agent/cache.py:8"]),
    item(
        "cost.session-budgets",
        "Per-session token budgets, answered gracefully",
        "dynamic",
        "error",
        ["probe could not run: the service did not start within 20 s"],
    ),
    item(
        "safety.guardrails",
        "Input and output guardrails, tested",
        "static",
        "pass",
        ["src/support_agent/infra/guardrails.py:5: check_input, check_output"],
    ),
    item(
        "safety.red-team",
        "Red-team review of the current prompt and guardrails",
        "attested",
        "pass",
        ["signed by Grace on 2026-01-10: reviewed prompts v2"],
    ),
]
RESULT: ChecklistResult = summarize("support-agent", ITEMS)


def fixed_evaluate(project, *, only_group=None, run_dynamic=True, progress=None):
    """The fixed result, reported item by item like the real ``evaluate``."""
    items = [i for i in ITEMS if only_group is None or i.group == only_group]
    for result in items:
        if progress is not None:
            progress(result)
    return summarize("support-agent", items)


@pytest.fixture
def fixed(monkeypatch, project) -> Path:
    """The Readiness screen evaluates to ``RESULT``; sign-offs are not stored."""
    monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(fixed_evaluate))
    return project


async def highlight(pilot: Pilot, item_id: str) -> None:
    """Move the checklist cursor to ``item_id``."""
    await settle(pilot)
    items = pilot.app.screen.query_one(ChecklistList)
    items.highlighted = items.get_option_index(item_id)
    await settle(pilot)


class TestReadinessScreen:
    """The Readiness screen for support-agent: 'Readiness 55% · 6/11 pass · NOT READY
    (5 blocking) · static only: r runs all' in red; the items under the headings
    Reliability 2/3, Deployment 1/2, Observability 0/2, Cost 1/2, Safety 2/2, each with a
    coloured status (pass, fail, warn, sign-off, error); on the right the group bars and
    the score 55%, then the selected item's detail; a footer with r Run all checks,
    c Static checks and s Sign off."""

    def test_a_failing_item_shows_its_evidence_and_hint(self, snap_compare, fixed):
        """reliability.retries is selected: 'Status ✘ fail', the evidence line naming
        llm.py:41 and the hint to add num_retries."""

        async def run_before(pilot: Pilot) -> None:
            await highlight(pilot, "reliability.retries")

        assert snap_compare(
            SectionHost(ReadinessScreen, fixed), terminal_size=SIZE, run_before=run_before
        )

    def test_an_attested_item_says_how_to_sign_it_off(self, snap_compare, fixed):
        """observability.on-call is selected: kind attested, 'Status ? sign-off', the
        RUNBOOK.md#On-call evidence and 'Press s to record a sign-off.'"""

        async def run_before(pilot: Pilot) -> None:
            await highlight(pilot, "observability.on-call")

        assert snap_compare(
            SectionHost(ReadinessScreen, fixed), terminal_size=SIZE, run_before=run_before
        )

    def test_a_run_in_progress(self, snap_compare, monkeypatch, project):
        """Mid-run after r: 'Running every check, dynamic probes included…'; a progress bar
        at 36% and '4/11 · 0 s · waiting on reliability.retries +6 · last: cost.caching: pass'
        beside it; four items show their verdicts
        (both health-probes and timeouts pass), the rest '… checking'; the headings and
        bars count only the fresh verdicts (Reliability 2/3, Safety 0/2)."""
        release = threading.Event()
        reported = threading.Event()

        def gated(project, *, only_group=None, run_dynamic=True, progress=None):
            if not run_dynamic:
                return fixed_evaluate(project, only_group=only_group)
            order = [ITEMS[i] for i in (0, 2, 3, 7)]
            for result in order:
                progress(result)
            reported.set()
            release.wait(10)
            return fixed_evaluate(project, progress=progress)

        monkeypatch.setattr(ReadinessScreen, "evaluate", staticmethod(gated))
        monkeypatch.setattr(readiness_screen, "clock", lambda: 100.0)  # "0 s" on the picture

        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("r")
            reported.wait(10)
            for _ in range(5):
                await pilot.pause()
            # Orphan the run, so that its end (once released) cannot change the picture.
            pilot.app.screen._token += 1
            release.set()

        try:
            assert snap_compare(
                SectionHost(ReadinessScreen, project), terminal_size=SIZE, run_before=run_before
            )
        finally:
            release.set()


class TestSignoffDialog:
    """The 'Sign off' dialog over the Readiness screen for 'On-call rotation staffed'
    (observability.on-call): fields Signed by and Note, the line 'Valid until the
    evidence it covers changes.', and Sign off / Cancel buttons."""

    def test_filled_in(self, snap_compare, fixed):
        """Signed by 'Ada Lovelace', Note 'rota in PagerDuty' (focused)."""

        async def run_before(pilot: Pilot) -> None:
            await highlight(pilot, "observability.on-call")
            await pilot.press("s")
            await settle(pilot)
            pilot.app.screen.query_one("#signoff-by", Input).value = "Ada Lovelace"
            pilot.app.screen.query_one("#signoff-note", Input).value = "rota in PagerDuty"
            await pilot.press("tab")
            await settle(pilot)

        assert snap_compare(
            SectionHost(ReadinessScreen, fixed), terminal_size=SIZE, run_before=run_before
        )

    def test_a_name_is_required(self, snap_compare, fixed):
        """Enter on an empty form: 'a name is required' in red under Signed by."""

        async def run_before(pilot: Pilot) -> None:
            await highlight(pilot, "observability.on-call")
            await pilot.press("s")
            await settle(pilot)
            # Keys, not a click: a mouse over the button makes the snapshot depend on hover timing.
            await pilot.press("enter", "enter")
            await settle(pilot)

        assert snap_compare(
            SectionHost(ReadinessScreen, fixed), terminal_size=SIZE, run_before=run_before
        )

"""The Run section with a fake runner (no child process): a snapshot after a turn, live spans
mid-turn, budget alerts, and cancelling a turn."""

from __future__ import annotations

import asyncio
import functools

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import settle, write_fake_project
from tests.tui.tracedata import FakeRunner, wait_for
from workbench.core import live
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.screens.run import RunScreen
from workbench.tui.widgets.chat import ChatLog
from workbench.tui.widgets.gauges import Gauge
from workbench.tui.widgets.waterfall import Waterfall

SIZE = (130, 34)
BUDGETS = """
[variants.baseline]
prompt = "v1"

[variants.concise]
prompt = "v2"

[budgets]
tokens_per_request = 1500
usd_per_request = 0.0002
tokens_per_session = 5000
usd_per_day = 1.0
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """One project with variants and budgets; the runner is the fake; no collector starts."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects"
    path = write_fake_project(root, "support-agent", "Customer-support agent")
    with (path / "workbench.toml").open("a") as config:
        config.write(BUDGETS)
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(FakeRunner))
    FakeRunner.started.clear()
    return path


async def send(pilot: Pilot, text: str, session: str = "session-7") -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    pilot.app.screen.query_one("#run-session", Input).value = session
    pilot.app.screen.query_one("#run-input", Input).focus()
    await pilot.press(*text, "enter")


class TestRunSnapshot:
    """The Run section after one turn."""

    def test_after_a_turn(self, snap_compare, project):
        """Options: support-agent, model placeholder, baseline, session-7. Chat: the user's
        'Help me return order 12345' and the reply 'Order 12345 is eligible…' titled
        'support-agent · openai/gpt-4o-mini (mock)' with 'ok · 2 steps · 2 tool calls · in 930 /
        out 95 tokens · 1.23 s'. Right: the six spans under invoke_agent support with bars;
        'This turn 6 spans · in 930 / out 95 tokens · $0.000197'; gauges Tokens / request 68%
        and Cost / request 98% highlighted, Tokens / session 20%, Cost today 0%, Cost this
        month with no limit. No toasts: the two budget toasts are asserted, then dismissed,
        because they would cover the gauges this snapshot is about."""

        async def run_before(pilot: Pilot) -> None:
            await send(pilot, "Help me return order 12345")
            await settle(pilot)
            titles = [notification.title for notification in pilot.app._notifications]
            assert titles == ["Budget: 50% crossed", "Budget: 80% crossed"]
            pilot.app.clear_notifications()
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)


async def test_spans_and_gauges_fill_while_the_turn_runs(project, monkeypatch):
    gate = asyncio.Event()
    monkeypatch.setattr(
        RunScreen, "runner_factory", staticmethod(functools.partial(FakeRunner, gate=gate))
    )
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Help me return order 12345")
        screen = app.screen
        waterfall = screen.query_one(Waterfall)
        # Mid-turn: the first two spans are stored and shown, the turn has not returned.
        await wait_for(pilot, lambda: len(waterfall.spans) == 2)
        assert screen._turn.is_running
        assert "Running…" in str(screen.query_one("#run-progress").render())
        assert "2 spans" in str(screen.query_one("#gauge-turn").render())
        gate.set()
        await wait_for(pilot, lambda: len(screen.query_one(ChatLog).texts) == 2)
        await settle(pilot)
        assert len(waterfall.spans) == 6 and waterfall.spans[0].name == "invoke_agent support"
        assert "Order 12345 is eligible" in screen.query_one(ChatLog).texts[1]
        assert screen.query_one("#run-session", Input).value == "session-7"
        assert FakeRunner.started[0].variant == "baseline"
        # Budget: 1,025 of 1,500 tokens (68%) and $0.000197 of $0.0002 (98%) for the request.
        tokens = screen.query_one("#gauge-tokens-per-request", Gauge)
        cost = screen.query_one("#gauge-usd-per-request", Gauge)
        assert tokens.has_class("-alert") and cost.has_class("-alert")
        assert not screen.query_one("#gauge-tokens-per-session", Gauge).has_class("-alert")
        titles = [n.title for n in app._notifications]
        assert titles == ["Budget: 50% crossed", "Budget: 80% crossed"]


async def test_the_second_turn_reuses_the_runner_until_the_options_change(project):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await settle(pilot)
        await pilot.press(*"second", "enter")
        await settle(pilot)
        assert len(FakeRunner.started) == 1
        app.screen.query_one("#run-model", Input).value = "openai/gpt-4o"
        app.screen.query_one("#run-input", Input).focus()
        await pilot.press(*"third", "enter")
        await settle(pilot)
        assert [runner.model for runner in FakeRunner.started] == ["mock", "openai/gpt-4o"]
        assert FakeRunner.started[0].closed


async def test_escape_cancels_a_hung_turn(project, monkeypatch):
    never = asyncio.Event()
    monkeypatch.setattr(
        RunScreen, "runner_factory", staticmethod(functools.partial(FakeRunner, gate=never))
    )
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Help me return order 12345")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.query_one(Waterfall).spans) == 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Turn cancelled." in screen.query_one(ChatLog).texts)
        assert not screen._turn.is_running
        assert not screen.query_one("#run-progress").display

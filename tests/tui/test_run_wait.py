"""Never waiting blind on the Run screen: the agent starts when its project is opened, the first
turn uses that runner, the wait shows its phases with a ticking elapsed time, and quitting
mid-turn stops the agent's child process."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
from textual.widgets import Input

from tests.tui.conftest import settle, write_fake_project
from tests.tui.test_run import BUDGETS, SIZE, send
from tests.tui.tracedata import FakeRunner, wait_for
from workbench.core import live
from workbench.core.runner.phases import IMPORT, Phases
from workbench.settings import get_settings
from workbench.tui.app import create_app
from workbench.tui.screens.run import RunScreen
from workbench.tui.widgets.chat import ChatLog


class SlowRunner(FakeRunner):
    """A fake runner whose start (importing the project) and turn wait for the test."""

    start_gate: asyncio.Event
    turn_gate: asyncio.Event
    turns: list[SlowRunner] = []
    fail_start = False

    def __init__(self, project, **options) -> None:
        super().__init__(project, **options)
        self.phases = Phases()
        self.entered = False

    async def __aenter__(self) -> SlowRunner:
        with self.phases.during(IMPORT):
            await SlowRunner.start_gate.wait()
        if SlowRunner.fail_start:
            raise RuntimeError("cannot import support_agent: no module named 'shop'")
        self.entered = True
        return self

    async def turn(self, text: str, *, session_id: str | None = None):
        SlowRunner.turns.append(self)
        await SlowRunner.turn_gate.wait()
        return await super().turn(text, session_id=session_id)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """One project with a baseline variant; the runner is the slow fake; no collector starts."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects"
    path = write_fake_project(root, "support-agent", "Customer-support agent")
    with (path / "workbench.toml").open("a") as config:
        config.write(BUDGETS)
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    monkeypatch.setattr(RunScreen, "runner_factory", staticmethod(SlowRunner))
    SlowRunner.start_gate, SlowRunner.turn_gate = asyncio.Event(), asyncio.Event()
    SlowRunner.turns = []
    SlowRunner.fail_start = False
    FakeRunner.started.clear()
    return path


def progress_text(app) -> str:
    return str(app.screen.query_one("#run-progress").render())


async def test_the_agent_starts_when_the_project_is_opened(project) -> None:
    """Opening Run selects the project and starts its runner before any message is sent;
    the first turn runs on that runner."""
    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: len(FakeRunner.started) == 1)
        warm = FakeRunner.started[0]
        assert warm.variant == "baseline" and not warm.entered
        SlowRunner.start_gate.set()
        await wait_for(pilot, lambda: warm.entered)
        SlowRunner.turn_gate.set()
        await send(pilot, "Help me return order 12345")
        await wait_for(pilot, lambda: len(app.screen.query_one(ChatLog).texts) == 2, 30)
        assert SlowRunner.turns == [warm] and len(FakeRunner.started) == 1


async def test_the_agent_getting_ready_is_shown_before_any_message(project) -> None:
    """Between turns, a start going on in the background is shown, then the line goes."""
    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: "Getting the agent ready" in progress_text(app), 30)
        assert "importing the project · " in progress_text(app)
        SlowRunner.start_gate.set()
        await wait_for(pilot, lambda: not app.screen.query_one("#run-progress").display, 30)


async def test_an_agent_that_cannot_start_says_so_before_any_message(project) -> None:
    SlowRunner.fail_start = True
    SlowRunner.start_gate.set()
    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: "could not start" in progress_text(app), 30)
        assert "no module named 'shop'" in progress_text(app)


async def test_the_project_the_app_opens_on_starts_at_once(project) -> None:
    """``workbench PROJECT``: its agent starts with the app, whichever section is shown."""
    app = create_app(str(project), warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(FakeRunner.started) == 1)
        assert FakeRunner.started[0].project.path == project
        assert app.screen.id != "run" and not isinstance(app.screen, RunScreen)


async def test_without_warm_runners_nothing_starts_before_the_first_message(project) -> None:
    """Tests and embedders that do not ask for warm runners start no agent on their own."""
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert FakeRunner.started == []


async def test_the_wait_shows_its_phases_with_a_ticking_elapsed_time(project) -> None:
    """Sent while the agent is still importing: the phase and its elapsed time, which ticks;
    then the turn, waiting for the model's first answer; then the spans as they arrive."""
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Help me return order 12345")
        await wait_for(pilot, lambda: "Importing the project" in progress_text(app), 30)
        first = progress_text(app)
        assert "escape cancels" in first and " s" in first
        await wait_for(pilot, lambda: progress_text(app) != first, 5)  # the elapsed time ticks
        assert "Importing the project" in progress_text(app)
        SlowRunner.start_gate.set()
        await wait_for(pilot, lambda: "first answer" in progress_text(app), 30)
        assert progress_text(app).startswith("Running… waiting for the model's first answer")
        SlowRunner.turn_gate.set()
        await wait_for(pilot, lambda: len(app.screen.query_one(ChatLog).texts) == 2, 30)
        assert not app.screen.query_one("#run-progress").display


@pytest.fixture
def stubborn(tmp_path, monkeypatch):
    """A real project whose child ignores SIGTERM and whose turn blocks its event loop; the
    Run screen runs it with the real ``LocalStack`` (replay mock, no collector of the app)."""
    from workbench.core.runner.stack import LocalStack

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")
    root = tmp_path / "projects"
    path = root / "stubborn-agent"
    (path / "src" / "stubborn_agent").mkdir(parents=True)
    (path / "src" / "stubborn_agent" / "__init__.py").write_text("")
    (path / "src" / "stubborn_agent" / "entry.py").write_text(
        textwrap.dedent(
            """
            import os, signal, time

            signal.signal(signal.SIGTERM, signal.SIG_IGN)


            async def run_turn(request):
                with open(request["input"], "w") as flag:
                    flag.write(str(os.getpid()))
                while True:  # blocks the child's event loop: cancelling cannot stop it
                    time.sleep(0.1)
            """
        )
    )
    (path / "workbench.toml").write_text(
        '[project]\nname = "stubborn-agent"\npackage = "stubborn_agent"\n\n'
        '[agent]\nentry = "stubborn_agent.entry:run_turn"\n'
    )
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    monkeypatch.setattr(live, "_collector_address", "collector (test)")
    # Replay: the mock starts without loading a tokenizer (no litellm import in the test).
    monkeypatch.setattr(
        RunScreen,
        "runner_factory",
        staticmethod(lambda project, **options: LocalStack(project, model="replay")),
    )
    return path


@pytest.mark.slow
async def test_ctrl_q_mid_turn_stops_the_agent_child(tmp_path, stubborn) -> None:
    """Mid-turn, ctrl+q ends the app and the child is gone (SIGKILL after a short grace)."""
    from tests.core.test_runner_warm import _wait_gone

    flag = tmp_path / "turn-started"
    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        app.screen.query_one("#run-input", Input).focus()
        await pilot.press(*str(flag), "enter")
        await wait_for(pilot, lambda: flag.exists() and flag.read_text() != "", 60)
        pid = int(flag.read_text())
        await pilot.press("ctrl+q")
    await _wait_gone(pid)
    # The cancelled turn is not reported into a chat that is being taken down (that raised
    # MountError, printed as a traceback on the way out).
    assert app._exception is None and not app._exit_renderables


@pytest.mark.slow
async def test_quitting_stops_a_warm_idle_child(stubborn) -> None:
    """The agent started when the project was opened, no turn sent: quitting stops it too."""
    from tests.core.test_runner_warm import _wait_gone

    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")

        def started() -> bool:
            pool = getattr(app.runners.runner, "pool", None)
            return bool(pool and pool.pids)

        await wait_for(pilot, started, 60)
        pid = app.runners.runner.pool.pids[0]
        await pilot.press("ctrl+q")
    await _wait_gone(pid)


async def test_a_store_that_cannot_be_opened_is_said_in_the_chat(project, monkeypatch) -> None:
    """The project list cannot be read (the database locked past its timeout): the chat says
    why, instead of an empty project picker and an agent that never starts."""
    import sqlite3

    from workbench.tui.screens import run

    def locked() -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(run, "TraceReader", locked)
    app = create_app(warm_runners=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        chat = app.screen.query_one(ChatLog)
        await wait_for(pilot, lambda: any("database is locked" in t for t in chat.texts))
        assert any("Could not list the projects" in text for text in chat.texts)

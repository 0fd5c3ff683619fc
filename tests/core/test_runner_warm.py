"""The warm runner: started ahead of the first turn, reused, retargeted, restarted on code changes;
the phases a start goes through; quitting terminates children."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.runner.fingerprint import project_fingerprint
from workbench.core.runner.phases import IMPORT, MOCK, REPLAY, RESTART, TURN, Phases
from workbench.core.runner.stack import LocalStack
from workbench.core.runner.warm import WarmRunner, default_options


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake project's children need no litellm."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def test_phases_say_what_goes_on_and_for_how_long() -> None:
    heard = []
    phases = Phases(heard.append)
    assert phases.describe() == ""
    phases.begin(IMPORT)
    with pytest.raises(RuntimeError), phases.during(MOCK):
        assert [name for name, _ in phases.active()] == [IMPORT, MOCK]
        assert phases.describe().startswith("Importing the project · starting the mock model · ")
        raise RuntimeError("the mock failed")
    phases.end(IMPORT)
    phases.end(IMPORT)  # ending twice is heard once
    assert phases.active() == []
    assert [(event.name, event.done) for event in heard] == [
        (IMPORT, False),
        (MOCK, False),
        (MOCK, True),
        (IMPORT, True),
    ]
    assert all(event.seconds >= 0 for event in heard)


def test_a_failing_listener_does_not_break_the_run() -> None:
    def broken(event) -> None:
        raise ValueError("display gone")

    phases = Phases(broken)
    with phases.during(TURN):
        pass
    assert phases.active() == []


def test_the_fingerprint_follows_code_not_data(tmp_path: Path) -> None:
    project = make_fake_project(tmp_path)
    before = project_fingerprint(project)
    (tmp_path / ".data").mkdir()
    (tmp_path / ".data" / "state.sqlite3").write_text("rows")
    (tmp_path / "src" / "fake_agent" / "__pycache__").mkdir()
    (tmp_path / "src" / "fake_agent" / "__pycache__" / "x.pyc").write_text("bytes")
    assert project_fingerprint(project) == before
    entry = tmp_path / "src" / "fake_agent" / "agents" / "entry.py"
    entry.write_text(entry.read_text() + "\n# edited\n")
    assert project_fingerprint(project) != before


def test_default_options_pick_baseline_when_declared(tmp_path: Path) -> None:
    project = make_fake_project(tmp_path)
    assert default_options(project) == (None, None)
    with (tmp_path / "workbench.toml").open("a") as config:
        config.write('\n[variants.baseline]\nprompt = "v1"\n')
    from workbench.core.projects import open_project

    assert default_options(open_project(tmp_path)) == (None, "baseline")


class FakeStack:
    """Counts what the warm runner does with it; ``gate`` holds its start."""

    made: list[FakeStack] = []

    def __init__(self, project, *, model=None, variant=None, gate=None, fail=False) -> None:
        self.project, self.model, self.variant = project, model, variant
        self.gate, self.fail = gate, fail
        self.phases = Phases()
        self.entered = self.closed = False
        self.retargets: list[tuple] = []
        self.restarts = 0
        self.code_changed = False
        FakeStack.made.append(self)

    async def __aenter__(self) -> FakeStack:
        with self.phases.during(IMPORT):
            if self.gate is not None:
                await self.gate.wait()
            if self.fail:
                raise RuntimeError("cannot import the project")
        self.entered = True
        return self

    async def close(self, grace: float = 3.0) -> None:
        self.closed = True

    async def retarget(self, *, model, variant) -> None:
        self.retargets.append((model, variant))

    async def restart_child(self) -> None:
        self.restarts += 1
        self.code_changed = False


@pytest.fixture
def made():
    FakeStack.made.clear()
    return FakeStack.made


async def test_warm_starts_ahead_and_take_hands_over_the_same_runner(tmp_path, made) -> None:
    project = make_fake_project(tmp_path)
    gate = asyncio.Event()
    runners = WarmRunner(lambda p, **options: FakeStack(p, gate=gate, **options))
    runners.warm(project, model=None, variant=None)
    runners.warm(project, model=None, variant=None)  # already starting: nothing new
    await asyncio.sleep(0)
    assert len(made) == 1 and runners.starting
    assert runners.phases is not None and runners.phases.active()[0][0] == IMPORT
    gate.set()
    runner = await runners.take(project, model=None, variant=None)
    assert runner is made[0] and runner.entered
    # Another model: the same child, retargeted; a code change: the child restarted.
    runner.code_changed = True
    assert await runners.take(project, model="openai/gpt-4o", variant=None) is runner
    assert runner.retargets == [("openai/gpt-4o", None)] and runner.restarts == 1
    await runners.close()
    assert runner.closed


async def test_opening_another_project_closes_the_first(tmp_path, made) -> None:
    first = make_fake_project(tmp_path / "a", name="a-agent")
    second = make_fake_project(tmp_path / "b", name="b-agent")
    runners = WarmRunner(FakeStack)
    runners.warm(first)
    await runners.take(first, model=None, variant=None)
    runners.warm(second)
    runner = await runners.take(second, model=None, variant=None)
    await asyncio.sleep(0.05)
    assert made[0].closed and runner is made[1] and not runner.closed
    await runners.close()


async def test_a_failed_start_is_raised_by_take_and_tried_again(tmp_path, made) -> None:
    project = make_fake_project(tmp_path)
    attempts = iter([True, False])
    runners = WarmRunner(lambda p, **options: FakeStack(p, fail=next(attempts), **options))
    runners.warm(project)
    with pytest.raises(RuntimeError, match="cannot import the project"):
        await runners.take(project, model=None, variant=None)
    runner = await runners.take(project, model=None, variant=None)
    assert runner is made[1] and runner.entered
    await runners.close()


async def test_a_background_start_that_failed_unseen_is_started_again(tmp_path, made) -> None:
    """The project failed to import while warming; the user fixed it; the turn must not get
    the stale error."""
    project = make_fake_project(tmp_path)
    attempts = iter([True, False])
    runners = WarmRunner(lambda p, **options: FakeStack(p, fail=next(attempts), **options))
    runners.warm(project)
    while runners.starting:
        await asyncio.sleep(0.01)
    assert runners.start_error == "cannot import the project"
    runner = await runners.take(project, model=None, variant=None)
    assert runner is made[1] and runner.entered and runners.start_error is None
    await runners.close()


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if _gone(pid):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"child {pid} still running")


@pytest.mark.slow
async def test_a_real_stack_restarts_its_child_when_the_code_changes(tmp_path: Path) -> None:
    project = make_fake_project(tmp_path)
    heard = []
    stack = LocalStack(project, model="replay", phases=Phases(heard.append))
    async with stack:
        assert {event.name for event in heard if event.done} >= {IMPORT, REPLAY}
        assert not stack.code_changed
        first = (await stack.turn("hello")).outcome
        assert first.ok and first.result["output"] == "echo: hello"
        entry = tmp_path / "src" / "fake_agent" / "agents" / "entry.py"
        entry.write_text(entry.read_text().replace('"echo: "', '"changed: "'))
        assert stack.code_changed
        await stack.restart_child()
        second = (await stack.turn("hello")).outcome
        assert second.result["output"] == "changed: hello"
        assert second.worker_pid != first.worker_pid
        await _wait_gone(first.worker_pid)
        assert RESTART in {event.name for event in heard}


@pytest.mark.slow
async def test_terminate_stops_a_child_mid_turn(tmp_path: Path) -> None:
    stack = LocalStack(make_fake_project(tmp_path), model="replay")
    async with stack:
        flag = tmp_path / "turn-started"
        turn = asyncio.create_task(stack.turn(f"flag:{flag}"))
        for _ in range(600):
            if flag.exists() and flag.read_text():
                break
            await asyncio.sleep(0.05)
        pid = int(flag.read_text())
        stack.terminate()
        await _wait_gone(pid)
        report = await turn
        assert report.outcome.error_kind == "crash"
        assert f"died ({signal.Signals.SIGTERM.name})" in (report.outcome.message or "")


WARM_HOOK = """

async def warm_up(request):
    import json
    if os.environ.get("FAKE_WARM_FAIL"):
        raise RuntimeError("cannot warm up")
    with open(os.environ["FAKE_WARM_FILE"], "w") as seen:
        json.dump(request, seen)
    return {"ready": True}
"""


@pytest.mark.slow
async def test_warm_up_hands_the_entry_module_the_request_a_turn_would_send(
    tmp_path: Path, monkeypatch
) -> None:
    import json

    project = make_fake_project(tmp_path / "project")
    entry = tmp_path / "project" / "src" / "fake_agent" / "agents" / "entry.py"
    entry.write_text(entry.read_text() + WARM_HOOK)
    seen = tmp_path / "warm.json"
    monkeypatch.setenv("FAKE_WARM_FILE", str(seen))
    heard = []
    async with LocalStack(project, model="replay", phases=Phases(heard.append)) as stack:
        assert await stack.warm_up() == []
        request = json.loads(seen.read_text())
        assert "input" not in request and request["api_base"] == stack.mock.api_base
        assert request["span_attributes"]["workbench.model_source"] == "replay"
        assert ("warming up the project", True) in [(e.name, e.done) for e in heard]
        monkeypatch.setenv("FAKE_WARM_FAIL", "1")  # read by the next child only
        await stack.restart_child()
        problems = await stack.warm_up()
        assert problems == ["RuntimeError: cannot warm up"]
        assert (await stack.turn("still works")).outcome.ok


@pytest.mark.slow
async def test_a_project_without_a_warm_up_is_left_as_it_is(tmp_path: Path) -> None:
    async with LocalStack(make_fake_project(tmp_path), model="replay") as stack:
        assert await stack.warm_up() == []


async def test_the_warm_runner_warms_up_after_the_start_and_after_a_switch(tmp_path, made):
    project = make_fake_project(tmp_path)
    warmed: list[FakeStack] = []

    class WarmingStack(FakeStack):
        async def warm_up(self) -> list[str]:
            warmed.append(self)
            return []

    runners = WarmRunner(WarmingStack)
    runner = await runners.take(project, model=None, variant=None)
    assert warmed == [runner]
    await runners.take(project, model="openai/gpt-4o", variant=None)
    assert warmed == [runner, runner]
    await runners.close()


@pytest.mark.slow
async def test_the_child_starts_while_the_private_collector_is_still_starting(
    tmp_path: Path, monkeypatch
) -> None:
    """``workbench run``: the child (seconds of imports) is not held up by the collector."""
    import threading

    release = threading.Event()
    started = LocalStack._start_collector

    def slow_collector(self, port=None) -> None:
        release.wait(60)
        started(self, port)

    monkeypatch.setattr(LocalStack, "_start_collector", slow_collector)
    stack = LocalStack(make_fake_project(tmp_path), model="replay")
    opening = asyncio.create_task(stack.__aenter__())
    try:
        for _ in range(1200):
            if stack.pool is not None and stack.pool.pids:
                break
            await asyncio.sleep(0.05)
        assert stack.pool is not None and stack.pool.pids, "the child waited for the collector"
        assert stack.collector is None and not opening.done()
    finally:
        release.set()
    await opening
    # The child was told where that collector listens before it listened.
    report = await stack.turn("env:OTEL_EXPORTER_OTLP_ENDPOINT")
    assert stack.collector is not None and report.result["output"] == stack.collector.url
    await stack.close()

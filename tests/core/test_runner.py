"""The worker pool: concurrency, isolation from crashes and hangs, cancellation, environment."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.runner import WorkerPool, WorkerStartError, child_env


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake project does not use litellm: do not pay seconds to import it in each child."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


@pytest.fixture
def project(tmp_path: Path):
    return make_fake_project(tmp_path, dotenv="FAKE_SECRET=from-dotenv\nPRESET=from-dotenv\n")


async def started(flag: Path, timeout: float = 60.0) -> None:
    """Wait until the fake turn has written ``flag``: it is running inside the child."""
    deadline = time.monotonic() + timeout
    while not flag.exists():
        assert time.monotonic() < deadline, "the turn never started in the child"
        await asyncio.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


async def test_echo_runs_in_a_child_process(project) -> None:
    async with WorkerPool(project) as pool:
        outcome = await pool.run({"input": "hi"})
    assert outcome.ok, outcome
    assert outcome.result["output"] == "echo: hi"
    assert outcome.result["pid"] != os.getpid()
    assert outcome.worker_pid == outcome.result["pid"]


async def test_one_child_runs_turns_concurrently(project, tmp_path) -> None:
    # Each turn waits (up to a minute) until all 20 are running: in turn, none would meet.
    marks = tmp_path / "marks"
    marks.mkdir()
    request = {"input": f"meet:{marks}:20"}
    async with WorkerPool(project, size=1) as pool:
        outcomes = await asyncio.gather(*(pool.run(request, timeout=120) for _ in range(20)))
    assert [outcome.result["output"] for outcome in outcomes if outcome.ok] == ["met"] * 20
    assert len({outcome.worker_pid for outcome in outcomes}) == 1


async def test_project_prints_do_not_corrupt_the_protocol(project) -> None:
    async with WorkerPool(project) as pool:
        outcome = await pool.run({"input": "print"})
        assert outcome.ok, outcome
        assert any("raw fd noise" in line for line in pool.workers[0].recent_stderr)


async def test_exception_in_run_turn_is_a_one_line_project_error(project) -> None:
    async with WorkerPool(project) as pool:
        outcome = await pool.run({"input": "raise"})
        again = await pool.run({"input": "still alive"})
    assert outcome.error_kind == "project_error"
    assert outcome.message == "ValueError: boom second line"
    assert again.ok


async def test_non_dict_result_is_a_project_error(project) -> None:
    async with WorkerPool(project) as pool:
        outcome = await pool.run({"input": "not-a-dict"})
    assert outcome.error_kind == "project_error"
    assert "not a dict" in outcome.message


async def test_a_crash_fails_in_flight_turns_and_the_child_restarts(project, tmp_path) -> None:
    async with WorkerPool(project) as pool:
        first_pid = pool.pids[0]
        flag = tmp_path / "started"
        slow = asyncio.ensure_future(pool.run({"input": f"flag:{flag}"}))
        await started(flag)
        crashed = await pool.run({"input": "exit"})
        slow_outcome = await slow
        after = await pool.run({"input": "after"})
    assert crashed.error_kind == "crash"
    assert "exited with code 9" in crashed.message
    assert slow_outcome.error_kind == "crash"
    assert after.ok and after.result["pid"] != first_pid
    assert not _alive(first_pid)


async def test_a_segfault_is_a_crash_naming_the_signal(project) -> None:
    async with WorkerPool(project) as pool:
        outcome = await pool.run({"input": "segv"})
        after = await pool.run({"input": "after"})
    assert outcome.error_kind == "crash"
    assert "SIGSEGV" in outcome.message
    assert "Segmentation fault" in outcome.message
    assert after.ok


async def test_a_hung_turn_times_out_and_is_cancelled_inside_the_child(project) -> None:
    async with WorkerPool(project) as pool:
        pid = pool.pids[0]
        outcome = await pool.run({"input": "sleep:30"}, timeout=0.2)
        after = await pool.run({"input": "after"})
    assert outcome.error_kind == "timeout"
    assert outcome.message == "the turn took longer than 0.2 s"  # cancelled, not killed
    assert after.ok and after.result["pid"] == pid, "a cooperative hang must not cost the child"


@pytest.mark.slow
async def test_an_infinite_loop_kills_and_restarts_the_child(project, tmp_path) -> None:
    async with WorkerPool(project, cancel_grace=0.3) as pool:
        pid = pool.pids[0]
        flag = tmp_path / "started"
        bystander = asyncio.ensure_future(pool.run({"input": f"flag:{flag}"}))
        await started(flag)
        outcome = await pool.run({"input": "spin"}, timeout=0.3)
        bystander_outcome = await bystander
        after = await pool.run({"input": "after"})
    assert outcome.error_kind == "timeout"
    assert "killed" in outcome.message
    assert bystander_outcome.error_kind == "crash"
    assert "did not respond to cancellation" in bystander_outcome.message
    assert not _alive(pid)
    assert after.ok and after.result["pid"] != pid


async def test_cancel_by_request_id(project, tmp_path) -> None:
    async with WorkerPool(project) as pool:
        flag = tmp_path / "started"
        task = asyncio.ensure_future(pool.run({"input": f"flag:{flag}"}, request_id="r1"))
        await started(flag)
        assert await pool.cancel("r1")
        outcome = await task
        assert not await pool.cancel("r1")
    assert outcome.error_kind == "cancelled"
    assert outcome.request_id == "r1"


async def test_cancelling_the_caller_cancels_the_turn(project, tmp_path) -> None:
    async with WorkerPool(project) as pool:
        flag = tmp_path / "started"
        task = asyncio.ensure_future(pool.run({"input": f"flag:{flag}"}))
        await started(flag)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.workers[0].pending == {}
        assert (await pool.run({"input": "after"})).ok


async def test_import_failure_is_one_line_at_start(project) -> None:
    pool = WorkerPool(project, env={"FAKE_IMPORT_FAIL": "1"})
    with pytest.raises(WorkerStartError) as error:
        await pool.start()
    assert "cannot import fake_agent.agents.entry" in error.value.message
    assert "RuntimeError: fake import failure" in error.value.message
    assert "\n" not in error.value.message
    assert pool.pids == []


async def test_child_environment(project) -> None:
    os.environ["PRESET"] = "from-environment"
    try:
        async with WorkerPool(project, otlp_endpoint="http://127.0.0.1:9") as pool:
            secret, preset, otlp, cwd = await asyncio.gather(
                pool.run({"input": "env:FAKE_SECRET"}),
                pool.run({"input": "env:PRESET"}),
                pool.run({"input": "env:OTEL_EXPORTER_OTLP_ENDPOINT"}),
                pool.run({"input": "cwd"}),
            )
    finally:
        del os.environ["PRESET"]
    assert secret.result["output"] == "from-dotenv"
    assert preset.result["output"] == "from-environment"
    assert otlp.result["output"] == "http://127.0.0.1:9"
    assert Path(cwd.result["output"]) == project.path
    assert "FAKE_SECRET" not in os.environ


async def test_close_stops_every_child(project, tmp_path) -> None:
    pool = WorkerPool(project, size=2)
    await pool.start()
    pids = pool.pids
    assert len(pids) == 2
    flag = tmp_path / "started"
    running = asyncio.ensure_future(pool.run({"input": f"flag:{flag}"}))
    await started(flag)
    await pool.close()
    outcome = await running
    assert outcome.error_kind == "cancelled"  # closing is not a crash of the project's code
    assert outcome.message == "the worker pool was closed"
    assert not any(_alive(pid) for pid in pids)


async def test_a_child_flushes_the_projects_traces_before_it_exits(project, tmp_path) -> None:
    mark = tmp_path / "flushed"
    pool = WorkerPool(project, size=1)
    await pool.start()
    outcome = await pool.run({"input": f"flush-mark:{mark}", "wait_for_trace": False})
    assert outcome.ok and not mark.exists()
    await pool.close()
    assert mark.read_text() == "flushed"  # the entry module's flush_traces ran at exit


def test_child_env_keeps_dotenv_out_of_our_environment(project) -> None:
    env = child_env(project, otlp_endpoint="http://x:1", extra={"A": "b"})
    assert env["FAKE_SECRET"] == "from-dotenv"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://x:1"
    assert env["A"] == "b"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(project.src_dir)
    assert "FAKE_SECRET" not in os.environ


async def test_an_oversized_reply_fails_the_turn_and_restarts_the_child(
    project, monkeypatch
) -> None:
    from workbench.core.runner import worker

    monkeypatch.setattr(worker, "MAX_LINE", 1 << 16)
    async with WorkerPool(project) as pool:
        big = await pool.run({"input": "big:200000"})
        after = await pool.run({"input": "after"})
    assert big.error_kind == "crash"
    assert "reply longer than 65,536 bytes" in big.message
    assert after.ok

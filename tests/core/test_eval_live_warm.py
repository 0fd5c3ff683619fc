"""An eval's children are warmed up before graded turns, real-model variants included."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from tests.core.test_runner_warm import WARM_HOOK
from workbench.core.evals.live import LiveEnvironment
from workbench.core.evals.variants import Variant


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake project's children need no litellm."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


@pytest.mark.slow
async def test_a_real_variants_children_warm_up_without_a_model_call(
    tmp_path: Path, monkeypatch
) -> None:
    project = make_fake_project(tmp_path / "project")
    entry = tmp_path / "project" / "src" / "fake_agent" / "agents" / "entry.py"
    entry.write_text(entry.read_text() + WARM_HOOK)
    seen = tmp_path / "warm.json"
    monkeypatch.setenv("FAKE_WARM_FILE", str(seen))
    # --api-base needs something accepting connections there; nothing is asked of it.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        api_base = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        variant = Variant(name="local", model="openai/gpt-4o-mini", params={"temperature": 0})
        async with LiveEnvironment(
            project,
            [variant],
            db_path=tmp_path / "wb.db",
            pool_size=1,
            options={"api_base": api_base, "api_key_env": "LOCAL_KEY"},
        ):
            request = json.loads(seen.read_text())
    assert "input" not in request
    assert request["model"] == "openai/gpt-4o-mini"
    assert request["api_base"] == api_base
    assert request["api_key_env"] == "LOCAL_KEY"
    assert request["params"] == {"temperature": 0}


@pytest.mark.slow
async def test_bad_mock_rules_fail_the_start_and_stop_the_children_already_starting(
    tmp_path: Path,
) -> None:
    """The children start while the mock does; a mock that cannot start leaves none behind."""
    from workbench.errors import ConfigError

    project = make_fake_project(tmp_path / "project")
    (tmp_path / "project" / "mocks").mkdir()
    (tmp_path / "project" / "mocks" / "rules.yaml").write_text("- {id: x, respnd: {text: 1}}\n")
    live = LiveEnvironment(
        project, [Variant(name="baseline", model="mock")], db_path=tmp_path / "wb.db"
    )
    with pytest.raises(ConfigError, match=r"rules\.yaml:1"):
        await live.__aenter__()
    assert live.pool is not None, "the children were not started alongside the mock"
    processes = [worker.process for worker in live.pool.workers]
    assert all(process is None or process.returncode is not None for process in processes)


@pytest.mark.slow
async def test_an_evals_collector_decodes_exports_without_worker_processes(tmp_path: Path) -> None:
    """An eval's exports are small; shipping them to decode processes costs more CPU than
    decoding them in the collector, on cores the agent's children need."""
    import httpx

    project = make_fake_project(tmp_path / "project")
    async with LiveEnvironment(
        project, [Variant(name="baseline", model="mock")], db_path=tmp_path / "wb.db", pool_size=1
    ) as live:
        collector = live._servers[0]
        async with httpx.AsyncClient(trust_env=False) as client:
            health = (await client.get(f"{collector.url}/healthz", timeout=30)).json()
    assert health["service"] == "workbench-collector"
    assert "decode_workers" not in health

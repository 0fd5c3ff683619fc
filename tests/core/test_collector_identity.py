"""Two workbench homes on one machine: each home's traces reach only its own database."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.cli import cli
from workbench.core.collector.identity import store_id
from workbench.core.collector.server import collector_running, ensure_collector, start_collector
from workbench.core.collector.synthetic import agent_turn, make_request
from workbench.core.runner.stack import LocalStack
from workbench.core.serving import RunningServer, free_port
from workbench.errors import WorkbenchError
from workbench.settings import get_settings

HOST = "127.0.0.1"


def use_home(monkeypatch, home: Path, port: int) -> None:
    """Make ``home`` this process's WORKBENCH_HOME, with the collector port ``port``."""
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_COLLECTOR_PORT", str(port))
    get_settings.cache_clear()


@pytest.fixture
def home_a_collector(tmp_path, monkeypatch):
    """Home A's collector on the shared port; the test then continues as home B."""
    port = free_port()
    use_home(monkeypatch, tmp_path / "home-a", port)
    server = start_collector(host=HOST, port=port)
    use_home(monkeypatch, tmp_path / "home-b", port)
    yield server
    server.stop()


def span_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return conn.execute("SELECT count(*) FROM spans").fetchone()[0] if "spans" in tables else 0


def test_healthz_names_the_store_it_writes_to(tmp_path, home_a_collector):
    health = httpx.get(f"{home_a_collector.url}/healthz", trust_env=False).json()
    assert health["store"] == store_id(tmp_path / "home-a" / "workbench.db")
    assert health["store"] != store_id()  # this process is home B now


def test_another_homes_collector_is_not_reused_nor_replaced(tmp_path, home_a_collector):
    port = home_a_collector.port
    assert not collector_running(HOST, port)
    with pytest.raises(WorkbenchError) as caught:
        ensure_collector(HOST, port)
    message = caught.value.message
    assert message.startswith(f"{HOST}:{port} serves the trace collector of another workbench")
    assert "WORKBENCH_COLLECTOR_PORT" in message and "\n" not in message
    # Home A itself still finds and reuses its own collector.
    assert collector_running(HOST, port, db_path=tmp_path / "home-a" / "workbench.db")


def test_the_same_homes_collector_is_reused(tmp_path, monkeypatch):
    port = free_port()
    use_home(monkeypatch, tmp_path / "home", port)
    server = start_collector(host=HOST, port=port)
    try:
        assert collector_running(HOST, port)
        assert ensure_collector(HOST, port) is None
    finally:
        server.stop()


def test_a_run_in_home_b_stores_its_spans_in_home_b(tmp_path, home_a_collector):
    """The stack of a run starts its own collector instead of sending to home A's."""
    stack = LocalStack(make_fake_project(tmp_path / "fake"))  # only its collector starts here
    stack._start_collector()
    try:
        assert isinstance(stack.collector, RunningServer)
        assert stack.otlp_endpoint != home_a_collector.url
        request = make_request(agent_turn(random.Random(3), start_ns=1), service="b")
        response = httpx.post(
            f"{stack.otlp_endpoint}/v1/traces",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
            trust_env=False,
        )
        assert response.status_code == 200
    finally:
        stack.collector.stop()
    assert span_count(tmp_path / "home-b" / "workbench.db") == 6
    assert span_count(tmp_path / "home-a" / "workbench.db") == 0


def test_workbench_run_in_home_b_gives_its_agent_home_bs_collector(
    tmp_path, home_a_collector, monkeypatch
):
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy-for-tests")
    project = make_fake_project(tmp_path / "fake")
    args = ["run", str(project.path), "env:OTEL_EXPORTER_OTLP_ENDPOINT", "-m", "openai/x"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    endpoint = json.loads(result.output)["output"]
    assert endpoint.startswith(f"http://{HOST}:")
    assert endpoint != home_a_collector.url

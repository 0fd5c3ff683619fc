"""The Ship section on adopted projects: the same core plans the files, or lists what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.tui.conftest import settle
from tests.tui.test_readiness_snapshots import SIZE, SectionHost
from tests.tui.test_ship_pilot import PASSING, evaluate_to, listed
from tests.tui.test_ship_snapshots import VALIDATION
from tests.tui.tracedata import wait_for
from workbench.settings import get_settings
from workbench.tui.screens.ship import ShipScreen

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "agents" / "openai-shop"
CONFIG = """[project]
name = "shop"
package = "shop_assistant"
kind = "adopted"
template = ""

[agent]
{agent}

[evals]
dir = "evals"
"""
FUNCTION = 'adapter = "function"\nentry = "shop_assistant.agent:answer"\nsrc = "."'
HTTP = 'adapter = "http"\nsrc = "."\n\n[agent.http]\nurl = "http://127.0.0.1:8080/chat"'


@pytest.fixture
def adopted(tmp_path, monkeypatch):
    """A copy of the openai-shop fixture, adopted, the only project; validators not run."""
    monkeypatch.setattr(ShipScreen, "validate_files", staticmethod(lambda plan: VALIDATION))
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects"
    folder = root / "shop"
    shutil.copytree(FIXTURE, folder)
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    return folder


def summary(app) -> str:
    return str(app.screen.query_one("#ship-summary", Static).render())


async def test_a_function_agent_gets_its_server_dockerfile_and_manifests(monkeypatch, adopted):
    (adopted / "workbench.toml").write_text(CONFIG.format(agent=FUNCTION))
    evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, adopted)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: listed(app))
        files = listed(app)
        assert files["workbench_server.py"] == "new" and files["Dockerfile"] == "new"
        assert "k8s/base/deployment.yaml" in files


async def test_an_http_agent_without_a_command_shows_what_is_missing(monkeypatch, adopted):
    (adopted / "workbench.toml").write_text(CONFIG.format(agent=HTTP))
    evaluate_to(monkeypatch, PASSING)
    app = SectionHost(ShipScreen, adopted)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: summary(app).startswith("Cannot plan"))
        text = summary(app)
        assert text.startswith("Cannot plan the files: ship cannot generate shop's files")
        assert "[deploy] command = [" in text and "[deploy] health_path" in text
        assert listed(app) == {}
        assert not (adopted / "Dockerfile").exists()

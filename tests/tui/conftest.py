"""TUI fixtures: a fixed projects folder, a tiny template, and helpers that wait for workers."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from tests.core.test_scaffold_template import make_template, use_templates
from workbench.settings import get_settings

CREATED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
SIZE = (100, 28)


def write_fake_project(root: Path, name: str, description: str, version: str = "0.1.0") -> Path:
    """A project folder as the agent-service template leaves it, reduced to what lists it."""
    project = root / name
    project.mkdir(parents=True)
    (project / "workbench.toml").write_text(
        f'[project]\nname = "{name}"\npackage = "{name.replace("-", "_")}"\n'
        f'description = "{description}"\ntemplate = "agent-service"\n'
        f'template_version = "{version}"\n\n[agent]\nentry = "x.agents.entry:run_turn"\n'
    )
    (project / ".copier-answers.yml").write_text(
        f"_template: agent-service\n_template_version: {version}\nproject_name: {name}\n"
    )
    stamp = CREATED.timestamp()
    os.utime(project, (stamp, stamp))
    return project


@pytest.fixture
def projects_dir(tmp_path, monkeypatch) -> Path:
    """A projects folder with two fake projects, shown by relative paths from a fixed cwd."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects"
    write_fake_project(root, "support-agent", "Customer-support agent for an online shop")
    write_fake_project(root, "billing-bot", "Answers billing questions")
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(root))
    get_settings.cache_clear()
    return root


@pytest.fixture
def tiny_template(tmp_path, monkeypatch) -> Path:
    """The tiny test template installed under the name the dialog uses: agent-service."""
    root = tmp_path / "templates"
    make_template(root, name="agent-service")
    return use_templates(monkeypatch, root)


async def wait_for_workers(app: App) -> None:
    """Wait for every worker to end; one cancelled meanwhile is fine, one that failed is not.

    A newer load cancels the one it replaces (exclusive worker groups), which is how the app
    is meant to work; Textual's ``wait_for_complete`` raises ``WorkerCancelled`` for it.
    """
    outcomes = await asyncio.gather(
        *(worker.wait() for worker in list(app.workers)), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, WorkerCancelled):
            raise outcome


async def settle(pilot: Pilot) -> None:
    """Wait for every worker, then for the messages they posted, and stop cursors blinking.

    A worker those messages start (a project loaded, then its checks run) is waited for too.
    """
    for _ in range(10):
        await wait_for_workers(pilot.app)
        await pilot.pause()
        if not any(
            worker.is_running or worker.state.name == "PENDING" for worker in pilot.app.workers
        ):
            break
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()

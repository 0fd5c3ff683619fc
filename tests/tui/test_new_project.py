"""Pilot tests: the New Project flow, the palette, help, and opening the app on a project."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.command import CommandList
from textual.widgets import Input, OptionList, Static

from tests.conftest import REPO_ROOT
from tests.core.test_scaffold_template import make_template
from tests.tui.conftest import SIZE, settle, write_fake_project
from tests.tui.tracedata import wait_for
from workbench.core.scaffold import list_projects
from workbench.errors import ProjectNotFound
from workbench.tui.app import create_app
from workbench.tui.modals.help import HelpScreen
from workbench.tui.modals.new_project import NewProjectModal
from workbench.tui.screens.projects import ProjectsScreen
from workbench.tui.widgets.projects_table import ProjectsTable


def error_text(app, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


async def test_the_projects_screen_lists_the_projects_folder(projects_dir):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert app.screen.query_one(ProjectsTable).names == ["billing-bot", "support-agent"]


async def test_n_scaffolds_a_project_and_the_table_lists_it(projects_dir, tiny_template):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewProjectModal)
        await pilot.press(*"acme-support")
        app.screen.query_one("#description", Input).value = "Sells anvils"
        await pilot.press("enter")
        await settle(pilot)
        target = projects_dir / "acme-support"
        assert (target / "workbench.toml").is_file()
        assert "Sells anvils" in (target / "README.md").read_text()
        shown = str(app.screen.query_one("#result-text", Static).render())
        assert "Created projects/acme-support" in shown and "workbench.toml" in shown
        await pilot.press("enter")  # Done
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        table = app.screen.query_one(ProjectsTable)
        assert table.names == ["acme-support", "billing-bot", "support-agent"]
        assert table.cursor_row == 0


async def test_an_invalid_name_shows_an_inline_error_and_writes_nothing(
    projects_dir, tiny_template
):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"Bad Name", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NewProjectModal)
        assert "invalid project name 'Bad Name'" in error_text(app, "#name-error")
        assert sorted(p.name for p in projects_dir.iterdir()) == ["billing-bot", "support-agent"]
        await pilot.press(*["backspace"] * 8, *"good-name")
        await settle(pilot)
        assert error_text(app, "#name-error") == ""


async def test_an_empty_name_is_required(projects_dir, tiny_template):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        assert error_text(app, "#name-error") == "a name is required"


async def test_an_existing_folder_is_reported_in_the_dialog(projects_dir, tiny_template):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"support-agent", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NewProjectModal)
        assert "already exists" in error_text(app, "#name-error")
        assert not (projects_dir / "support-agent" / "README.md").exists()


async def test_a_template_error_is_shown_in_the_dialog(projects_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.locations.templates_dir", lambda: tmp_path / "no-templates")
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"acme", "enter")
        await settle(pilot)
        assert "no template 'agent-service'" in error_text(app, "#status")
        assert not app.screen.query_one("#create").disabled


async def test_escape_closes_the_dialog_without_creating(projects_dir, tiny_template):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"acme", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert not (projects_dir / "acme").exists()


async def test_the_command_palette_opens_the_new_project_dialog(projects_dir):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"new project")

        def new_project_listed() -> bool:
            found = app.screen.query(CommandList)
            return bool(found) and any(
                "New project" in str(option.prompt) for option in found.first().options
            )

        await wait_for(pilot, new_project_listed, timeout=30)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewProjectModal)


async def test_help_lists_the_bindings_and_closes(projects_dir):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert ("n", "New project") in app.screen.keys
        assert ("1", "Projects") in app.screen.keys
        await pilot.press("escape")
        assert isinstance(app.screen, ProjectsScreen)


async def test_opening_a_project_by_path_lists_and_selects_it(projects_dir, tmp_path):
    outside = write_fake_project(tmp_path / "elsewhere", "zeta-agent", "Far away")
    app = create_app(str(outside))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ProjectsTable)
        assert table.names == ["billing-bot", "support-agent", "zeta-agent"]
        assert table.cursor_row == 2
    # Remembered: listed from now on, without opening it again.
    assert "zeta-agent" in [info.name for info in list_projects()]


def test_opening_an_unknown_project_is_a_one_line_error(projects_dir):
    with pytest.raises(ProjectNotFound):
        create_app("no-such-project")


def test_importing_the_app_loads_neither_litellm_nor_copier():
    code = (
        "import sys, workbench.tui.app;"
        "bad = [m for m in ('litellm', 'copier') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


async def test_keys_bound_by_the_app_type_into_the_dialog(projects_dir):
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"q?1n")
        await settle(pilot)
        assert isinstance(app.screen, NewProjectModal)
        assert app.screen.query_one("#name", Input).value == "q?1n"


async def test_the_dialog_lists_the_templates_and_scaffolds_the_one_picked(
    projects_dir, tiny_template
):
    """Each built-in template with its one-line description; agent-service is the default."""
    make_template(tiny_template, name="rag-agent", files={"RAG.md": "retrieval\n"})
    config = tiny_template / "rag-agent" / "copier.yml"
    config.write_text("_workbench_description: Answers from your documents\n" + config.read_text())
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"rag-demo")
        await settle(pilot)
        listing = app.screen.query_one("#template", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(2)]
        assert prompts == ["agent-service  ", "rag-agent  Answers from your documents"]
        assert listing.highlighted == 0 and app.screen.template == "agent-service"
        assert app.screen.query_one("#name", Input).value == "rag-demo"
        await pilot.press("tab", "down")
        await settle(pilot)
        assert app.screen.template == "rag-agent"
        assert app.screen.query_one("#name", Input).value == "rag-demo"
        await pilot.click("#create")
        await settle(pilot)
    assert (projects_dir / "rag-demo" / "RAG.md").read_text() == "retrieval\n"

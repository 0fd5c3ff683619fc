"""Snapshots of the Projects screen, the New Project dialog and the help screen."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import SIZE, settle
from workbench.tui.app import create_app


async def type_name(pilot: Pilot, name: str) -> None:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*name)
    await settle(pilot)


class TestProjectsScreen:
    """The Projects screen: a header 'Agent Workbench — Projects'; a table with billing-bot
    then support-agent, template agent-service, version 0.1.0, created 2026-01-15, paths
    projects/billing-bot and projects/support-agent; a footer with 1 Projects, ? Help,
    q Quit, n New project, r Refresh and ^p palette."""

    def test_lists_the_projects(self, snap_compare, projects_dir):
        assert snap_compare(create_app(), terminal_size=SIZE, run_before=settle)

    def test_empty_folder_says_how_to_start(self, snap_compare, projects_dir, tmp_path):
        """No table rows; the hint 'No projects yet: press n to create one.'"""
        for project in projects_dir.iterdir():
            (project / "workbench.toml").unlink()
        assert snap_compare(create_app(), terminal_size=SIZE, run_before=settle)


class TestNewProjectDialog:
    """The New Project dialog over the Projects screen: fields Name (focused), Description
    (placeholder '(template default)'), Default model (gpt-4o-mini), Directory (projects),
    and Create / Cancel buttons."""

    def test_empty_dialog(self, snap_compare, projects_dir):
        async def run_before(pilot: Pilot) -> None:
            await type_name(pilot, "")

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)

    def test_invalid_name_shows_an_inline_error(self, snap_compare, projects_dir):
        """Name 'Acme_Support' with the error 'invalid project name …' under it, in red."""

        async def run_before(pilot: Pilot) -> None:
            await type_name(pilot, "Acme_Support")

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)

    def test_result_lists_the_files_written(self, snap_compare, projects_dir, tiny_template):
        """'Created projects/acme-support from agent-service 1.0.0 (4 files):' then the
        four files, and a single Done button."""

        async def run_before(pilot: Pilot) -> None:
            await type_name(pilot, "acme-support")
            await pilot.press("enter")
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)


class TestHelpScreen:
    """The help dialog 'Keys' over the Projects screen, listing n New project, r Refresh,
    1 Projects, ? Help, q Quit and ^p Command palette."""

    def test_lists_the_bindings(self, snap_compare, projects_dir):
        async def run_before(pilot: Pilot) -> None:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)

        assert snap_compare(create_app(), terminal_size=SIZE, run_before=run_before)

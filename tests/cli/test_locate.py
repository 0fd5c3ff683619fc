"""``workbench locate``: where the database, the home and the templates live."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REPO_ROOT
from workbench.cli import cli


def locate(what: str) -> str:
    result = CliRunner().invoke(cli, ["locate", what])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_home_and_db_follow_workbench_home(workbench_home):
    assert Path(locate("home")) == workbench_home
    assert Path(locate("db")) == workbench_home / "workbench.db"


def test_templates_is_the_repository_folder_in_a_checkout():
    assert Path(locate("templates")) == REPO_ROOT / "templates"


def test_projects_follows_the_setting(tmp_path, monkeypatch):
    from workbench.settings import get_settings

    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(tmp_path / "mine"))
    get_settings.cache_clear()
    assert Path(locate("projects")) == tmp_path / "mine"


@pytest.mark.parametrize("what", ["nothing", ""])
def test_an_unknown_place_is_a_usage_error(what):
    result = CliRunner().invoke(cli, ["locate", what])
    assert result.exit_code == 2

"""``workbench projects list`` as a table and as JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner

from tests.core.test_scaffold_template import make_template, use_templates
from workbench.cli import cli
from workbench.core.scaffold import scaffold_project


def test_an_empty_list_says_how_to_start(tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.locations.projects_dir", lambda: tmp_path / "none")
    result = CliRunner().invoke(cli, ["projects", "list"])
    assert result.exit_code == 0
    assert "workbench new NAME" in result.output


def test_list_shows_projects_as_a_table_and_as_json(tmp_path, monkeypatch):
    use_templates(monkeypatch, tmp_path / "templates")
    make_template(tmp_path / "templates")
    monkeypatch.setattr("workbench.locations.projects_dir", lambda: tmp_path / "projects")
    scaffold_project("demo-agent", template="tiny", answers={"description": "Demo"})

    table = CliRunner().invoke(cli, ["projects", "list", "--format", "table"])
    assert table.exit_code == 0
    header, row = table.output.splitlines()
    assert header.split() == ["NAME", "TEMPLATE", "VERSION", "CREATED", "PATH"]
    assert row.split()[:3] == ["demo-agent", "tiny", "1.0.0"]
    assert row.endswith(str((tmp_path / "projects" / "demo-agent").resolve()))

    listed = json.loads(CliRunner().invoke(cli, ["projects", "list", "--json"]).output)
    assert [(p["name"], p["template_version"], p["description"]) for p in listed] == [
        ("demo-agent", "1.0.0", "Demo")
    ]
    # An ISO time in UTC (whether written "Z" or "+00:00"), not a naive local time.
    assert datetime.fromisoformat(listed[0]["created"]).utcoffset() == timedelta(0)


def test_piped_the_list_is_tsv_with_full_paths(tmp_path, monkeypatch):
    """CliRunner's output is not a terminal: the default is TSV, every value in full."""
    use_templates(monkeypatch, tmp_path / "templates")
    make_template(tmp_path / "templates")
    monkeypatch.setattr("workbench.locations.projects_dir", lambda: tmp_path / "projects")
    scaffold_project("demo-agent", template="tiny", answers={"description": "Demo\tagent"})
    result = CliRunner().invoke(cli, ["projects", "list"])
    assert result.exit_code == 0
    header, row = (line.split("\t") for line in result.output.splitlines())
    assert header == ["name", "template", "template_version", "created", "path", "description"]
    assert row[:3] == ["demo-agent", "tiny", "1.0.0"]
    assert row[4] == str((tmp_path / "projects" / "demo-agent").resolve())
    assert row[5] == "Demo\\tagent"  # a tab inside a cell is escaped, not a new column

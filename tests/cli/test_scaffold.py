"""``workbench new`` and ``workbench update`` through click's CliRunner, on a tiny template."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.core.test_scaffold_template import make_template, use_templates
from workbench.cli import cli


@pytest.fixture
def templates(tmp_path, monkeypatch):
    """The tiny template installed as the workbench's templates."""
    root = tmp_path / "templates"
    make_template(root)
    return use_templates(monkeypatch, root)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_new_writes_the_project_and_prints_next_steps(templates, tmp_path):
    result = invoke(
        "new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path), "--data", "description=Hi there"
    )
    assert result.exit_code == 0, result.output
    target = tmp_path / "demo-agent"
    assert "Created" in result.output and "from tiny 1.0.0 (4 files)" in result.output
    assert "  workbench.toml\n" in result.output
    assert f"cd {target}" in result.output and "python -m pytest -q" in result.output
    assert (target / "README.md").read_text() == "# demo-agent\n\nHi there\n"


def test_new_defaults_to_the_projects_folder(templates, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PROJECTS_DIR", str(tmp_path / "projects"))
    from workbench.settings import get_settings

    get_settings.cache_clear()
    assert invoke("new", "demo-agent", "-t", "tiny").exit_code == 0
    assert (tmp_path / "projects" / "demo-agent" / "workbench.toml").is_file()


def test_pretend_lists_files_and_writes_nothing(templates, tmp_path):
    result = invoke("new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path), "--pretend")
    assert result.exit_code == 0
    assert "Would create" in result.output and "nothing written" in result.output
    assert "  src/app.py\n" in result.output
    assert "Next steps" not in result.output
    assert not (tmp_path / "demo-agent").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["new", "Bad_Name", "-t", "tiny"], "error: invalid project name 'Bad_Name'"),
        (["new", "demo", "-t", "nope"], "error: no template 'nope' (available: tiny)"),
        (["new", "demo", "-t", "tiny", "--data", "novalue"], "error: --data 'novalue'"),
        (["update", "missing-project"], "error: no project 'missing-project'"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(templates, tmp_path, args, message):
    result = CliRunner().invoke(cli, [*args, "--dir", str(tmp_path)] if args[0] == "new" else args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert not (tmp_path / "demo").exists()


def test_an_existing_folder_needs_force(templates, tmp_path):
    (tmp_path / "demo-agent").mkdir()
    (tmp_path / "demo-agent" / "mine.txt").write_text("x")
    refused = CliRunner().invoke(cli, ["new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path)])
    assert refused.exit_code == 2
    assert "already exists" in refused.output and refused.output.count("\n") == 1
    forced = invoke("new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path), "--force")
    assert forced.exit_code == 0
    assert (tmp_path / "demo-agent" / "workbench.toml").is_file()


def test_update_reports_and_exits_1_on_conflicts(tmp_path, monkeypatch):
    use_templates(monkeypatch, tmp_path / "v1")
    make_template(tmp_path / "v1", files={"clash.txt": "a\nb\nc\n"})
    assert invoke("new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path)).exit_code == 0
    project = tmp_path / "demo-agent"
    (project / "clash.txt").write_text("a\nmine\nc\n")
    make_template(tmp_path / "v2", version="2.0.0", files={"clash.txt": "a\ntheirs\nc\n"})
    use_templates(monkeypatch, tmp_path / "v2")

    pretend = invoke("update", str(project), "--pretend")
    assert pretend.exit_code == 1
    assert "Would update" in pretend.output and "nothing written" in pretend.output
    assert not (project / "clash.txt.update-conflict").exists()

    result = invoke("update", str(project))
    assert result.exit_code == 1
    assert "from tiny 1.0.0 -> 2.0.0" in result.output
    assert "CONFLICTS" in result.output and "  clash.txt\n" in result.output
    assert "1 conflicts" in result.output
    assert (project / "clash.txt").read_text() == "a\nmine\nc\n"
    assert (project / "clash.txt.update-conflict").is_file()


def test_update_without_conflicts_exits_0(tmp_path, monkeypatch):
    use_templates(monkeypatch, tmp_path / "v1")
    make_template(tmp_path / "v1")
    assert invoke("new", "demo-agent", "-t", "tiny", "--dir", str(tmp_path)).exit_code == 0
    make_template(tmp_path / "v2", version="2.0.0", files={"extra.txt": "new\n"})
    use_templates(monkeypatch, tmp_path / "v2")
    result = invoke("update", str(tmp_path / "demo-agent"))
    assert result.exit_code == 0, result.output
    assert "added:\n  extra.txt" in result.output and "0 conflicts" in result.output

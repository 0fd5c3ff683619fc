"""scaffold_project, list_projects and remember_project against a tiny template."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from tests.core.test_scaffold_template import make_template, use_templates
from workbench.core import render
from workbench.core.scaffold import (
    list_projects,
    remember_project,
    scaffold_project,
    validate_name,
)
from workbench.errors import InvalidName, TargetExists, TemplateError
from workbench.store import projects as store
from workbench.store.db import connect

FILES = [".copier-answers.yml", "README.md", "src/app.py", "workbench.toml"]


@pytest.fixture
def tiny_templates(tmp_path, monkeypatch):
    """A templates folder holding the tiny template, installed as the workbench's."""
    root = tmp_path / "templates"
    make_template(root)
    return use_templates(monkeypatch, root)


@pytest.mark.parametrize("name", ["Acme", "acme_support", "1acme", "acme--x", "acme-", "", "a b"])
def test_invalid_names_are_refused(name, tiny_templates, tmp_path):
    with pytest.raises(InvalidName, match="invalid project name"):
        scaffold_project(name, template="tiny", directory=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["acme", "acme-support", "a1-b2"])
def test_valid_names_pass(name):
    assert validate_name(name) == name


def test_pretend_lists_the_files_and_writes_nothing(tiny_templates, tmp_path):
    result = scaffold_project("demo-agent", template="tiny", directory=tmp_path, pretend=True)
    assert result.pretend
    assert result.files == FILES
    assert result.path == (tmp_path / "demo-agent").resolve()
    assert result.template_version == "1.0.0"
    assert not (tmp_path / "demo-agent").exists()
    assert list_projects() == []


def test_scaffold_writes_the_files_and_the_answers(tiny_templates, tmp_path):
    result = scaffold_project(
        "demo-agent", template="tiny", directory=tmp_path, answers={"description": "Helps"}
    )
    target = tmp_path / "demo-agent"
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == (
        result.files
    )
    assert (target / "README.md").read_text() == "# demo-agent\n\nHelps\n"
    answers = render.read_answers((target / ".copier-answers.yml").read_bytes())
    assert answers["description"] == "Helps"
    assert answers["_template_version"] == "1.0.0"


def test_the_store_records_the_project_with_its_pristine_snapshot(tiny_templates, tmp_path):
    scaffold_project("demo-agent", template="tiny", directory=tmp_path)
    target = (tmp_path / "demo-agent").resolve()
    (target / "README.md").write_text("edited\n")
    db = connect()
    record = store.get_project(db, str(target))
    assert record is not None
    assert (record.name, record.template, record.template_version) == (
        "demo-agent",
        "tiny",
        "1.0.0",
    )
    assert record.has_snapshot and record.created_at
    snapshot = render.unpack(store.get_snapshot(db, str(target)))
    assert snapshot.paths() == FILES
    assert snapshot.files["README.md"] == b"# demo-agent\n\nA tiny agent\n"


def test_an_existing_folder_is_refused_without_force(tiny_templates, tmp_path):
    target = tmp_path / "demo-agent"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(TargetExists, match="--force"):
        scaffold_project("demo-agent", template="tiny", directory=tmp_path)
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]
    scaffold_project("demo-agent", template="tiny", directory=tmp_path, force=True)
    assert (target / "workbench.toml").is_file()
    assert (target / "mine.txt").read_text() == "keep me"


def test_an_empty_existing_folder_is_fine(tiny_templates, tmp_path):
    (tmp_path / "demo-agent").mkdir()
    scaffold_project("demo-agent", template="tiny", directory=tmp_path)
    assert (tmp_path / "demo-agent" / "workbench.toml").is_file()


def test_an_unknown_template_lists_the_available_ones(tiny_templates, tmp_path):
    with pytest.raises(TemplateError, match=r"no template 'nope' \(available: tiny\)"):
        scaffold_project("demo-agent", template="nope", directory=tmp_path)


def test_a_broken_template_is_one_line(tiny_templates, tmp_path):
    make_template(tiny_templates, name="broken", files={"bad.txt.jinja": "{{ nope( }}"})
    with pytest.raises(TemplateError) as caught:
        scaffold_project("demo-agent", template="broken", directory=tmp_path)
    assert "failed to render" in caught.value.message
    assert "\n" not in caught.value.message
    assert not (tmp_path / "demo-agent").exists()


def test_list_projects_shows_the_projects_folder_and_stored_ones(
    tiny_templates, tmp_path, monkeypatch
):
    projects = tmp_path / "projects"
    monkeypatch.setattr("workbench.locations.projects_dir", lambda: projects)
    scaffold_project("in-folder", template="tiny", answers={"description": "Local"})
    scaffold_project("elsewhere", template="tiny", directory=tmp_path / "other")
    (projects / "not-a-project").mkdir()
    listed = list_projects()
    assert [info.name for info in listed] == ["elsewhere", "in-folder"]
    local = listed[1]
    assert local.path == (projects / "in-folder").resolve()
    assert (local.template, local.template_version, local.description) == ("tiny", "1.0.0", "Local")
    assert local.created.tzinfo is not None


def test_list_projects_falls_back_to_the_folder_time_and_takes_extra_paths(
    tiny_templates, tmp_path, monkeypatch
):
    monkeypatch.setattr("workbench.locations.projects_dir", lambda: tmp_path / "none")
    project = tmp_path / "hand-made"
    project.mkdir()
    (project / "workbench.toml").write_text('[project]\nname = "hand-made"\npackage = "x"\n')
    stamp = datetime(2026, 1, 15, 9, 30, tzinfo=UTC).timestamp()
    os.utime(project, (stamp, stamp))
    assert list_projects() == []
    (info,) = list_projects([project])
    assert info.name == "hand-made"
    assert info.created == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert info.template == ""


def test_remember_project_makes_a_project_opened_by_path_listed(tiny_templates, tmp_path):
    scaffold_project("demo-agent", template="tiny", directory=tmp_path, pretend=False)
    db = connect()
    store.forget_project(db, str((tmp_path / "demo-agent").resolve()))
    assert list_projects() == []
    info = remember_project(tmp_path / "demo-agent")
    assert info.template_version == "1.0.0"
    assert [p.name for p in list_projects()] == ["demo-agent"]

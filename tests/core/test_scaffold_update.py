"""update_project: a three-way merge of the user's files with a newer version of the template."""

from __future__ import annotations

import pytest

from tests.core.test_scaffold_template import APP_PY, make_template, use_templates
from workbench.core import render
from workbench.core.scaffold import scaffold_project, update_project
from workbench.errors import ProjectNotFound, TemplateError
from workbench.store import projects as store
from workbench.store.db import connect

V1_FILES = {
    "notes.txt": "one\ntwo\nthree\n",
    "clash.txt": "alpha\nbeta\ngamma\n",
    "old.txt": "dropped in v2\n",
}
V2_FILES = {
    "notes.txt": "one\ntwo (v2)\nthree\n",
    "clash.txt": "alpha\nbeta from the template\ngamma\n",
    "new.txt": "new in v2\n",
    "src/app.py": APP_PY.replace('f"bye, {name}"', 'f"goodbye, {name}"'),
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """demo-agent scaffolded from v1 of the tiny template, then edited by its user."""
    use_templates(monkeypatch, tmp_path / "v1")
    make_template(tmp_path / "v1", version="1.0.0", files=V1_FILES)
    scaffold_project("demo-agent", template="tiny", directory=tmp_path / "projects")
    path = (tmp_path / "projects" / "demo-agent").resolve()
    app = path / "src" / "app.py"
    app.write_text(app.read_text().replace('GREETING = "hello"', 'GREETING = "hi there"'))
    (path / "README.md").write_text("# demo-agent\n\nMy own words.\n")
    (path / "clash.txt").write_text("alpha\nbeta from the user\ngamma\n")
    v2 = tmp_path / "v2"
    old = v2 / "tiny" / "project" / "old.txt"
    make_template(v2, version="2.0.0", files=V2_FILES)
    assert not old.exists()
    use_templates(monkeypatch, v2)
    return path


def test_update_keeps_user_edits_takes_template_changes_and_reports_conflicts(project):
    clash_before = (project / "clash.txt").read_text()
    result = update_project(project)
    assert (result.old_version, result.new_version) == ("1.0.0", "2.0.0")
    assert result.updated == [".copier-answers.yml", "notes.txt", "workbench.toml"]
    assert result.kept == ["README.md"]
    assert result.merged == ["src/app.py"]
    assert result.conflicts == ["clash.txt"]
    assert result.added == ["new.txt"]
    assert result.removed == ["old.txt"]
    # Changed only by the template: the new version.
    assert (project / "notes.txt").read_text() == V2_FILES["notes.txt"]
    # Changed only by the user: kept.
    assert (project / "README.md").read_text() == "# demo-agent\n\nMy own words.\n"
    # Changed by both in different places: both changes.
    app = (project / "src" / "app.py").read_text()
    assert 'GREETING = "hi there"' in app and 'f"goodbye, {name}"' in app
    # Clashing changes: the user's file untouched, the merge with markers beside it.
    assert (project / "clash.txt").read_text() == clash_before
    conflict = (project / "clash.txt.update-conflict").read_text()
    assert (
        "<<<<<<< yours\nbeta from the user\n=======\nbeta from the template\n>>>>>>> template"
        in (conflict)
    )
    assert result.conflict_files == ["clash.txt.update-conflict"]
    # New files added, dropped files reported but not deleted.
    assert (project / "new.txt").read_text() == "new in v2\n"
    assert (project / "old.txt").is_file()
    answers = render.read_answers((project / ".copier-answers.yml").read_bytes())
    assert answers["_template_version"] == "2.0.0"


def test_update_moves_the_stored_base_to_the_new_render(project):
    update_project(project)
    db = connect()
    record = store.get_project(db, str(project))
    assert record.template_version == "2.0.0"
    base = render.unpack(store.get_snapshot(db, str(project)))
    assert base.files["notes.txt"] == V2_FILES["notes.txt"].encode()
    again = update_project(project)
    assert again.conflicts == again.updated == again.added == again.merged == []
    assert "README.md" in again.kept and "clash.txt" in again.kept


def test_pretend_reports_and_writes_nothing(project):
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = update_project(project, pretend=True)
    assert result.pretend and result.conflicts == ["clash.txt"] and result.added == ["new.txt"]
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert store.get_project(connect(), str(project)).template_version == "1.0.0"


def test_without_a_stored_base_and_a_new_version_every_local_difference_conflicts(project):
    store.forget_project(connect(), str(project))
    result = update_project(project)
    assert "README.md" in result.conflicts and "src/app.py" in result.conflicts
    assert (project / "README.md").read_text() == "# demo-agent\n\nMy own words.\n"
    assert (project / "README.md.update-conflict").read_text() == "# demo-agent\n\nA tiny agent\n"
    assert result.added == ["new.txt"]


def test_without_a_stored_base_at_the_same_version_local_edits_are_kept(tmp_path, monkeypatch):
    use_templates(monkeypatch, tmp_path / "t")
    make_template(tmp_path / "t")
    scaffold_project("demo-agent", template="tiny", directory=tmp_path)
    path = (tmp_path / "demo-agent").resolve()
    store.forget_project(connect(), str(path))
    (path / "README.md").write_text("mine\n")
    result = update_project(path)
    assert result.kept == ["README.md"] and result.conflicts == []
    assert (path / "README.md").read_text() == "mine\n"


def test_a_folder_without_answers_cannot_be_updated(tmp_path):
    (tmp_path / "workbench.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(TemplateError, match=r"no \.copier-answers\.yml"):
        update_project(tmp_path)


def test_an_unknown_project_is_one_line(tmp_path):
    with pytest.raises(ProjectNotFound):
        update_project(tmp_path / "missing")

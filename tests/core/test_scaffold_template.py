"""A tiny copier template built in tmp_path, shared by the scaffolding tests, and its own checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import locations
from workbench.core import render

COPIER_YML = """\
_subdirectory: project
_templates_suffix: .jinja
project_name:
  type: str
  help: The project's name
description:
  type: str
  default: A tiny agent
default_model:
  type: str
  default: gpt-4o-mini
"""

ANSWERS_JINJA = """\
# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY
_template_version: "{version}"
{{{{ _copier_answers|to_nice_yaml -}}}}
"""

WORKBENCH_TOML = """\
[project]
name = "{{ project_name }}"
package = "{{ project_name|replace('-', '_') }}"
description = "{{ description }}"
template = "tiny"
template_version = "VERSION"

[agent]
entry = "{{ project_name|replace('-', '_') }}.agents.entry:run_turn"

[models]
default = "{{ default_model }}"
"""

APP_PY = """\
\"\"\"The tiny app.\"\"\"

GREETING = "hello"


def greet(name):
    return f"{GREETING}, {name}"


def farewell(name):
    return f"bye, {name}"
"""


def make_template(
    root: Path, *, version: str = "1.0.0", files: dict[str, str] | None = None, name: str = "tiny"
) -> Path:
    """Write the ``tiny`` template (plus ``files``, relative to its project folder) under root."""
    template = root / name
    project = template / "project"
    project.mkdir(parents=True, exist_ok=True)
    (template / "copier.yml").write_text(COPIER_YML)
    (project / "{{_copier_conf.answers_file}}.jinja").write_text(
        ANSWERS_JINJA.format(version=version)
    )
    (project / "workbench.toml.jinja").write_text(WORKBENCH_TOML.replace("VERSION", version))
    (project / "README.md.jinja").write_text("# {{ project_name }}\n\n{{ description }}\n")
    (project / "src").mkdir(exist_ok=True)
    (project / "src" / "app.py").write_text(APP_PY)
    for relative, text in (files or {}).items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return template


def use_templates(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Make ``root`` the workbench's templates folder for this test."""
    monkeypatch.setattr(locations, "templates_dir", lambda: root)
    return root


@pytest.fixture
def tiny_templates(tmp_path, monkeypatch) -> Path:
    """A templates folder holding the tiny template, installed as the workbench's."""
    root = tmp_path / "templates"
    make_template(root)
    return use_templates(monkeypatch, root)


def test_the_tiny_template_renders_with_answers_and_a_version(tiny_templates):
    tree = render.render("tiny", {"project_name": "demo-agent"})
    assert tree.paths() == [".copier-answers.yml", "README.md", "src/app.py", "workbench.toml"]
    answers = render.read_answers(tree.files[".copier-answers.yml"])
    assert render.template_version(answers) == "1.0.0"
    assert answers["_src_path"] == "workbench:tiny"
    assert render.template_name(answers) == "tiny"
    assert answers["project_name"] == "demo-agent"
    assert b'name = "demo-agent"' in tree.files["workbench.toml"]


def test_available_templates_lists_folders_with_a_copier_file(tiny_templates):
    (tiny_templates / "not-a-template").mkdir()
    make_template(tiny_templates, name="other")
    assert render.available_templates() == ["other", "tiny"]


def test_pack_and_unpack_round_trip_and_are_reproducible(tiny_templates):
    tree = render.render("tiny", {"project_name": "demo-agent"})
    tree.executable.add("src/app.py")
    blob = render.pack(tree)
    assert blob == render.pack(tree)
    again = render.unpack(blob)
    assert again.files == tree.files
    assert again.executable == {"src/app.py"}

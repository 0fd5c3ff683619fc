"""``workbench new --template PATH_OR_GIT_URL`` and ``workbench update`` on any copier template.

The templates are written by each test into tmp_path: a plain folder, and a git
repository with two tagged releases (copier renders the latest tag).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.core.test_scaffold_template import make_template, use_templates
from workbench.cli import cli
from workbench.core import template_sources
from workbench.settings import get_settings

COPIER_YML = """\
project_name:
  type: str
greeting:
  type: str
  help: How the service greets people
  default: hello
"""
# copier refuses templates with tasks unless trusted; the user trusted this one by naming it.
TASKS_YML = """\
_tasks:
  - "python -c \\"open('task-ran.txt', 'w').write('yes')\\""
"""
ANSWERS_JINJA = "{{ _copier_answers|to_nice_yaml -}}\n"
NOTES_V1 = "line one\nline two\nline three\n"
NOTES_V2 = "line one\nline two\nline three, from release 2\n"


def write_template(folder: Path, *, tasks: bool = False) -> Path:
    """A minimal copier template: one question, one Jinja file, one plain file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "copier.yml").write_text(COPIER_YML + (TASKS_YML if tasks else ""))
    (folder / "{{ _copier_conf.answers_file }}.jinja").write_text(ANSWERS_JINJA)
    (folder / "hello.txt.jinja").write_text("{{ greeting }}, {{ project_name }}\n")
    (folder / "notes.md").write_text(NOTES_V1)
    return folder


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def release(folder: Path, tag: str) -> None:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", tag)
    git(folder, "tag", tag)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_new_renders_a_local_folder_template_after_a_one_line_warning(tmp_path):
    template = write_template(tmp_path / "my-template", tasks=True)
    result = invoke(
        "new", "y", "--template", str(template), "--dir", str(tmp_path), "--data", "greeting=hi"
    )
    assert result.exit_code == 0, result.output
    warning = f"warning: template code from {template} runs on this machine"
    assert warning in result.stderr and len(result.stderr.strip().splitlines()) == 1
    project = tmp_path / "y"
    assert (project / "hello.txt").read_text() == "hi, y\n"
    assert (project / "notes.md").read_text() == NOTES_V1
    assert (project / "task-ran.txt").read_text() == "yes"  # the template's task ran
    assert f"_src_path: {template}" in (project / ".copier-answers.yml").read_text()
    assert f"from {template}" in result.output
    assert "workbench init" in result.output and "workbench run" not in result.output


def test_a_built_in_template_renders_without_the_warning(tmp_path, monkeypatch):
    use_templates(monkeypatch, tmp_path / "templates")
    make_template(tmp_path / "templates")
    result = invoke("new", "demo", "-t", "tiny", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "runs on this machine" not in result.stderr


@pytest.mark.parametrize("as_url", [False, True], ids=["git-folder", "file-url"])
def test_update_brings_a_new_git_release_and_keeps_user_edits(tmp_path, as_url):
    repo = write_template(tmp_path / "repo")
    git(repo, "init", "-q")
    release(repo, "v1.0.0")
    source = repo.as_uri() if as_url else str(repo)
    assert invoke("new", "y", "--template", source, "--dir", str(tmp_path)).exit_code == 0
    project = tmp_path / "y"
    assert "_commit: v1.0.0" in (project / ".copier-answers.yml").read_text()
    # The user edits a file the template will change elsewhere, and one it will not change.
    (project / "notes.md").write_text(NOTES_V1.replace("line one", "line one, mine"))
    (project / "hello.txt").write_text("hello, my own words\n")

    (repo / "notes.md").write_text(NOTES_V2)
    (repo / "added.txt").write_text("new in release 2\n")
    release(repo, "v2.0.0")
    result = invoke("update", str(project))
    assert result.exit_code == 0, result.output
    assert "runs on this machine" in result.stderr
    assert f"from {source} v1.0.0 -> v2.0.0" in result.output
    assert (project / "notes.md").read_text() == (
        "line one, mine\nline two\nline three, from release 2\n"
    )
    assert (project / "hello.txt").read_text() == "hello, my own words\n"
    assert (project / "added.txt").read_text() == "new in release 2\n"
    assert "_commit: v2.0.0" in (project / ".copier-answers.yml").read_text()


def test_update_finds_a_git_template_from_the_answers_file_alone(tmp_path, monkeypatch):
    """A project copied to another machine: no database record, only .copier-answers.yml."""
    repo = write_template(tmp_path / "repo")
    git(repo, "init", "-q")
    release(repo, "v1.0.0")
    url = repo.as_uri()
    assert invoke("new", "y", "--template", url, "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "y" / "notes.md").write_text(NOTES_V1.replace("line one", "line one, mine"))
    (repo / "notes.md").write_text(NOTES_V2)
    (repo / "added.txt").write_text("new in release 2\n")
    release(repo, "v2.0.0")
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "another-home"))
    get_settings.cache_clear()
    result = invoke("update", str(tmp_path / "y"))
    assert result.exit_code == 0, result.output
    assert f"from git+{url} v1.0.0 -> v2.0.0" in result.output
    assert (tmp_path / "y" / "added.txt").read_text() == "new in release 2\n"
    # The base of the merge is v1.0.0 rendered again, so both changes land.
    assert (tmp_path / "y" / "notes.md").read_text() == (
        "line one, mine\nline two\nline three, from release 2\n"
    )


def test_update_reads_a_plain_folder_template_as_it_is_now(tmp_path):
    template = write_template(tmp_path / "plain-template")
    assert invoke("new", "y", "--template", str(template), "--dir", str(tmp_path)).exit_code == 0
    project = tmp_path / "y"
    (project / "notes.md").write_text(NOTES_V1.replace("line one", "line one, mine"))
    (template / "notes.md").write_text(NOTES_V2)
    result = invoke("update", str(project))
    assert result.exit_code == 0, result.output
    assert (project / "notes.md").read_text() == (
        "line one, mine\nline two\nline three, from release 2\n"
    )


def test_a_template_that_fails_to_render_is_one_line(tmp_path):
    template = write_template(tmp_path / "broken")
    (template / "bad.txt.jinja").write_text("{% if %}\n")
    result = invoke("new", "y", "--template", str(template), "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("warning: template code from")
    assert f"error: template '{template}' failed to render: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr
    assert not (tmp_path / "y").exists()


def test_vcs_ref_renders_an_older_release(tmp_path):
    repo = write_template(tmp_path / "repo")
    git(repo, "init", "-q")
    release(repo, "v1.0.0")
    (repo / "notes.md").write_text(NOTES_V2)
    release(repo, "v2.0.0")
    result = invoke("new", "y", "-t", str(repo), "--vcs-ref", "v1.0.0", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "y" / "notes.md").read_text() == NOTES_V1


@pytest.mark.parametrize(
    "make_source, message",
    [
        (lambda tmp: str(tmp / "missing"), "error: template folder {tmp}/missing does not exist"),
        (
            lambda tmp: str((tmp / "plain").mkdir() or tmp / "plain"),
            "error: {tmp}/plain has no copier.yml, so it is not a copier template",
        ),
        (
            lambda tmp: (tmp / "gone.git").as_uri(),
            "error: cannot reach git repository file://{tmp}/gone.git: ",
        ),
        (lambda tmp: "no-such-template", "error: no template 'no-such-template' (available: "),
    ],
    ids=["missing-folder", "no-copier-yml", "unreachable-git", "unknown-name"],
)
def test_a_bad_template_source_is_one_line_and_writes_nothing(tmp_path, make_source, message):
    result = invoke("new", "y", "--template", make_source(tmp_path), "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert message.format(tmp=tmp_path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "y").exists()


def test_the_catalogue_describes_each_built_in_template(tmp_path, monkeypatch):
    root = use_templates(monkeypatch, tmp_path / "templates")
    described = write_template(root / "described")
    config = described / "copier.yml"
    config.write_text(f"{template_sources.DESCRIPTION_KEY}: A described template\n" + COPIER_YML)
    greeter = write_template(root / "greeter")
    (greeter / "copier.yml").write_text("_message_before_copy: |\n  Says hi.\n  More.\n")
    write_template(root / "bare")
    (root / "not-a-template").mkdir()
    assert template_sources.catalogue() == [
        template_sources.TemplateInfo("bare", ""),
        template_sources.TemplateInfo("described", "A described template"),
        template_sources.TemplateInfo("greeter", "Says hi."),
    ]


def test_the_shipped_templates_each_have_a_description():
    infos = template_sources.catalogue()
    assert "agent-service" in [info.name for info in infos]
    assert all(info.description for info in infos), infos

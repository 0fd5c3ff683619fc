"""The rag-agent template: shares agent-service's files, renders, lists itself, passes its tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workbench.core import template_links, template_sources
from workbench.core.config import parse_config
from workbench.core.render import read_answers, render, write_file

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RAG = TEMPLATES / "rag-agent"
SERVICE = TEMPLATES / "agent-service"
PKG = "{{ package_name }}"
CACHES = {"__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache"}

# Linked under another name: git does not follow a symlinked .gitignore (it warns), and copier
# renders the .jinja link to .gitignore (the file has no Jinja in it).
RENAMED = {".gitignore": ".gitignore.jinja"}
# agent-service files rag-agent has its own version of (everything else is the same file).
OWN = {
    "README.md.jinja",
    "pyproject.toml.jinja",
    "requirements.lock",
    "requirements-dev.lock",
    "workbench.toml.jinja",
    "prompts/system.yaml",
    "evals/support.yaml",
    "mocks/20-returns.yaml",  # its search_knowledge_base branch has no place here
    "mocks/40-knowledge.yaml",  # replaced by mocks/40-docs.yaml
    f"src/{PKG}/agents/entry.py",  # linked as agents/turn.py; entry.py wraps it
    f"src/{PKG}/tools/extensions.py",
    "{{ _copier_conf.answers_file }}.jinja",  # names rag-agent, for `workbench update`
}


def _files(root: Path) -> dict[str, Path]:
    found = {}
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if d not in CACHES]
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path
    return found


def test_every_agent_service_file_is_shared_not_copied():
    """A new or changed agent-service file reaches rag-agent: it is the same file."""
    service = _files(SERVICE / "template")
    rag = _files(RAG / "template")
    rag |= {name: rag[link] for name, link in RENAMED.items() if link in rag}
    missing = [p for p in service if p not in OWN and p not in rag]
    assert not missing, f"link these into templates/rag-agent/template: {missing}"
    copied = [p for p in service if p not in OWN and rag[p].resolve() != service[p].resolve()]
    assert not copied, f"copies instead of links: {copied}"
    turn = rag[f"src/{PKG}/agents/turn.py"].resolve()
    assert turn == service[f"src/{PKG}/agents/entry.py"].resolve()


def test_links_are_relative_and_stay_in_the_templates_folder():
    for folder, dirs, names in os.walk(RAG):
        for name in [*dirs, *names]:
            path = Path(folder) / name
            if path.is_symlink():
                assert not os.readlink(path).startswith("/"), path
                assert path.resolve().is_relative_to(TEMPLATES.resolve()), path
                assert path.exists(), f"dangling link {path}"
                # The wheel build (hatch) copies linked files but drops linked folders.
                assert not path.is_dir(), f"{path} links a folder: link its files instead"


def test_the_questions_are_agent_service_s():
    """The shared files are rendered with agent-service's questions, so rag-agent asks them."""
    service = yaml.safe_load((SERVICE / "copier.yml").read_text())
    rag = yaml.safe_load((RAG / "copier.yml").read_text())
    questions = {k for k in service if not k.startswith("_")}
    assert questions == {k for k in rag if not k.startswith("_")}
    for key in questions - {"project_name", "description"}:
        assert rag[key] == service[key], key
    for key in ("_subdirectory", "_templates_suffix", "_answers_file", "_exclude"):
        assert rag[key] == service[key], key


def test_the_catalogue_and_new_help_list_it_with_its_description():
    from click.testing import CliRunner

    from workbench.cli import cli

    info = {i.name: i.description for i in template_sources.catalogue()}
    assert info["rag-agent"].startswith("Retrieval-augmented support agent")
    result = CliRunner().invoke(cli, ["new", "--help"])
    assert result.exit_code == 0
    assert re.search(r"rag-agent\s+Retrieval-augmented", result.output), result.output


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """rag-agent rendered by the workbench (its links resolved) and written to a folder."""
    tree = render("rag-agent", {"project_name": "acme-docs"})
    target = tmp_path_factory.mktemp("render") / "acme-docs"
    for path, content in tree.files.items():
        write_file(target, path, content, executable=path in tree.executable)
    return target


def test_the_render_holds_the_shared_and_the_rag_parts(rendered):
    package = rendered / "src" / "acme_docs"
    for part in (
        "agents/entry.py",
        "agents/turn.py",
        "agents/loop.py",
        "tools/registry.py",
        "infra/state/redis.py",
        "api/app.py",
        "rag/index/sqlite_vec.py",
        "rag/index/pgvector.py",
        "ingest.py",
        "knowledge/returns-policy.md",
    ):
        assert (package / part).is_file(), part
    assert not any(p.is_symlink() for p in rendered.rglob("*"))
    service = render("agent-service", {"project_name": "acme-docs"})
    shared = "src/acme_docs/tools/registry.py"
    assert (rendered / shared).read_bytes() == service.files[shared]
    config = parse_config((rendered / "workbench.toml").read_text(), rendered / "workbench.toml")
    assert config.project.template == "rag-agent"
    assert config.agent.entry == "acme_docs.agents.entry:run_turn"
    assert config.evals.gate["retrieval"] == 0.9
    answers = read_answers((rendered / ".copier-answers.yml").read_bytes())
    assert answers["_template"] == "rag-agent" and answers["project_name"] == "acme-docs"


def test_a_template_folder_that_links_to_a_sibling_renders_and_is_recorded_as_itself():
    source = template_sources.resolve(str(RAG))
    assert source.kind == "folder"
    tree = render(source, {"project_name": "from-folder"})
    assert "src/from_folder/agents/turn.py" in tree.files
    assert read_answers(tree.files[".copier-answers.yml"])["_template"] == "rag-agent"


def test_a_staged_folder_template_is_recorded_by_its_own_path(tmp_path):
    catalogue = tmp_path / "templates"
    (catalogue / "base").mkdir(parents=True)
    (catalogue / "base" / "shared.txt.jinja").write_text("{{ name }} shares this\n")
    child = catalogue / "child"
    child.mkdir()
    (child / "copier.yml").write_text("name:\n  type: str\n  default: x\n")
    (child / "shared.txt.jinja").symlink_to("../base/shared.txt.jinja")
    (child / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}"
    )
    tree = render(template_sources.resolve(str(child)), {"name": "demo"})
    assert tree.files["shared.txt"] == b"demo shares this\n"
    assert read_answers(tree.files[".copier-answers.yml"])["_src_path"] == str(child.resolve())


def test_only_links_into_sibling_templates_are_resolved(tmp_path):
    catalogue = tmp_path / "templates"
    (catalogue / "base").mkdir(parents=True)
    (catalogue / "base" / "shared.txt").write_text("shared\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("not a template's\n")
    child = catalogue / "child"
    child.mkdir()
    (child / "shared.txt").symlink_to("../base/shared.txt")
    (child / "secret.txt").symlink_to(outside)
    assert template_links.sibling_links(child) == [child / "shared.txt"]
    with template_links.readable_by_copier(child) as staged:
        assert staged != child
        assert not (staged / "shared.txt").is_symlink()
        assert (staged / "shared.txt").read_text() == "shared\n"
        # A link anywhere else stays a link, so copier still refuses it.
        assert (staged / "secret.txt").is_symlink()
    assert not staged.exists()
    (child / "shared.txt").unlink()
    with template_links.readable_by_copier(child) as same:
        assert same == child.resolve()


@pytest.mark.slow
def test_the_rendered_project_passes_its_own_tests_and_lint(rendered):
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=rendered,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", tests.stdout).group(1))
    assert passed >= 150
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        lint = subprocess.run(
            [sys.executable, "-m", *command, "--no-cache"],
            cwd=rendered,
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout[-3000:]

"""The committed example project is exactly what the template renders today."""

from __future__ import annotations

import pathspec

from tests.conftest import REPO_ROOT
from workbench.core.render import read_answers, read_tree, render

EXAMPLE = REPO_ROOT / "projects" / "support-agent"


def _tracked_files(root) -> dict[str, bytes]:
    """The example's files, minus what its own .gitignore ignores (caches, local state)."""
    ignore = pathspec.GitIgnoreSpec.from_lines((root / ".gitignore").read_text().splitlines())
    files = read_tree(root).files
    return {path: content for path, content in files.items() if not ignore.match_file(path)}


def drift(root) -> tuple[list[str], list[str], list[str]]:
    """A project folder against a fresh render of its answers: (missing, extra, changed)."""
    on_disk = _tracked_files(root)
    answers = read_answers(on_disk[".copier-answers.yml"])
    data = {key: value for key, value in answers.items() if not key.startswith("_")}

    fresh = render("agent-service", data).files

    missing = sorted(set(fresh) - set(on_disk))
    extra = sorted(set(on_disk) - set(fresh))
    changed = sorted(path for path in set(fresh) & set(on_disk) if fresh[path] != on_disk[path])
    return missing, extra, changed


def test_committed_example_matches_a_fresh_render():
    assert drift(EXAMPLE) == ([], [], []), (
        "projects/support-agent drifted from the template; re-render it with "
        "`python tools/rerender_example.py`"
    )


def test_example_is_the_default_render():
    answers = read_answers((EXAMPLE / ".copier-answers.yml").read_bytes())
    assert answers["project_name"] == "support-agent"
    assert answers["_template"] == "agent-service"

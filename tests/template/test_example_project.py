"""The committed example project is exactly what the template renders today."""

from __future__ import annotations

import pathspec

from tests.conftest import REPO_ROOT
from workbench.core.render import read_answers, read_tree, render
from workbench.core.ship.manifest import shipped_paths

EXAMPLE = REPO_ROOT / "projects" / "support-agent"


def _tracked_files(root) -> dict[str, bytes]:
    """The example's files, minus what its own .gitignore ignores (caches, local state,
    recorded cassettes) and what ``workbench ship`` generated (not the template's)."""
    ignore = pathspec.GitIgnoreSpec.from_lines((root / ".gitignore").read_text().splitlines())
    shipped = shipped_paths(root)
    files = read_tree(root).files
    return {
        path: content
        for path, content in files.items()
        if not ignore.match_file(path) and path not in shipped
    }


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


def test_rerendering_keeps_shipped_files_and_recordings_and_they_add_no_drift(tmp_path):
    """Ship output and cassettes are the project's own: no drift, and a re-render keeps them."""
    import shutil

    from tests.core.ship_fixtures import PASSED
    from tools.rerender_example import main as rerender
    from workbench.core.projects import open_project
    from workbench.core.ship import plan_ship, write_ship

    copy = tmp_path / "support-agent"
    shutil.copytree(
        EXAMPLE, copy, ignore=shutil.ignore_patterns(".data", "cassettes", ".workbench", ".github")
    )
    _, extra_before, _ = drift(copy)  # [] unless the template is being edited right now
    shipped = write_ship(plan_ship(open_project(copy), checklist=PASSED)).written
    cassette = copy / "cassettes" / "0123abcd.json"
    cassette.parent.mkdir()
    cassette.write_text("{}\n")
    assert ".github/workflows/pre-merge.yml" in shipped
    assert drift(copy)[1] == extra_before, "ship output or a recording counted as drift"

    assert rerender(copy) == 0
    assert cassette.is_file()
    assert all((copy / path).is_file() for path in shipped)
    assert drift(copy) == ([], [], [])

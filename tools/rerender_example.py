"""Re-render the committed example project (projects/support-agent) from the current template.

The drift test (tests/template/test_example_project.py) requires the example to be exactly
what the template renders; run this after changing the template. Files the example's own
.gitignore ignores (local state, caches, recorded cassettes) and what `workbench ship`
generated (listed in .workbench/ship-manifest.json) are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pathspec

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workbench.core.render import read_answers, read_tree, render, write_file  # noqa: E402
from workbench.core.ship.manifest import shipped_paths  # noqa: E402

EXAMPLE = REPO_ROOT / "projects" / "support-agent"


def main(example: Path = EXAMPLE) -> int:
    """Write the fresh render over ``example`` and delete tracked files it no longer has."""
    answers = read_answers((example / ".copier-answers.yml").read_bytes())
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    fresh = render("agent-service", data)
    ignore = pathspec.GitIgnoreSpec.from_lines(
        fresh.files.get(".gitignore", b"").decode().splitlines()
    )
    current = read_tree(example).files
    shipped = shipped_paths(example)  # `workbench ship` output is the project's, not the template's
    removed = [
        p for p in current if p not in fresh.files and not ignore.match_file(p) and p not in shipped
    ]
    for path in removed:
        (example / path).unlink()
    changed = 0
    for path, content in fresh.files.items():
        if current.get(path) != content:
            write_file(example, path, content, executable=path in fresh.executable)
            changed += 1
    print(f"{example.name}: {changed} file(s) written, {len(removed)} removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

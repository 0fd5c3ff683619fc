"""Re-render the committed example project (projects/support-agent) from the current template.

The drift test (tests/template/test_example_project.py) requires the example to be exactly
what the template renders; run this after changing the template. Files the example's own
.gitignore ignores (local state, caches, recorded cassettes) are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pathspec

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workbench.core.render import read_answers, read_tree, render, write_file  # noqa: E402

EXAMPLE = REPO_ROOT / "projects" / "support-agent"


def main() -> int:
    """Write the fresh render over the example and delete tracked files it no longer has."""
    answers = read_answers((EXAMPLE / ".copier-answers.yml").read_bytes())
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    fresh = render("agent-service", data)
    ignore = pathspec.GitIgnoreSpec.from_lines(
        fresh.files.get(".gitignore", b"").decode().splitlines()
    )
    current = read_tree(EXAMPLE).files
    removed = [p for p in current if p not in fresh.files and not ignore.match_file(p)]
    for path in removed:
        (EXAMPLE / path).unlink()
    changed = 0
    for path, content in fresh.files.items():
        if current.get(path) != content:
            write_file(EXAMPLE, path, content, executable=path in fresh.executable)
            changed += 1
    print(f"projects/support-agent: {changed} file(s) written, {len(removed)} removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

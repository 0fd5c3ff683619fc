"""A ``# type: ignore`` in workbench/ names its error code and says why, on the same line.

mypy itself (run by .ci/run, configured in pyproject.toml) rejects an ignore without a code
and one that no longer silences anything; the reason is for the reader, and only this checks it.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from tests.conftest import REPO_ROOT

# `# type: ignore[code]  # why`: the code in brackets, then a comment with some words.
WELL_FORMED = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S.{3,}")


def bare_ignores(root: Path) -> list[str]:
    """``path:line`` of each ``type: ignore`` comment that lacks a code or a reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT or "type: ignore" not in token.string:
                continue
            if not WELL_FORMED.search(token.string):
                found.append(f"{path.relative_to(root.parent)}:{token.start[0]}: {token.string}")
    return found


def test_every_type_ignore_in_the_workbench_has_a_code_and_a_reason():
    assert bare_ignores(REPO_ROOT / "workbench") == []


def test_a_bare_ignore_is_found(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[assignment]\n"
        "c = 3  # type: ignore[assignment]  # the stub is wrong: it returns an int\n"
        "d = '# type: ignore'\n"
    )
    assert bare_ignores(package) == [
        "pkg/m.py:1: # type: ignore",
        "pkg/m.py:2: # type: ignore[assignment]",
    ]

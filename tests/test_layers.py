"""The layer rules: the CLI stays light, and only the TUI imports Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_importing_the_cli_loads_neither_textual_nor_litellm():
    code = (
        "import sys, workbench.cli;"
        "bad = [m for m in ('textual', 'litellm') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    command = [str(lint_imports)] if lint_imports.exists() else ["lint-imports"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_outside_tui_imports_textual():
    offenders = []
    for path in (REPO_ROOT / "workbench").rglob("*.py"):
        if "tui" in path.relative_to(REPO_ROOT / "workbench").parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if "import textual" in text or "from textual" in text:
            offenders.append(str(path))
    assert offenders == []

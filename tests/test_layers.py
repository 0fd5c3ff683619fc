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


HEAVY_FOR_HELP = ("pydantic_settings", "pydantic", "litellm", "textual", "sqlite_utils", "httpx")


def test_help_loads_no_heavy_library():
    """``workbench --help`` lists every command's summary without importing what they run on."""
    code = (
        "import sys\n"
        "from workbench.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        f"heavy = [m for m in {HEAVY_FOR_HELP!r} if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert "Usage: workbench" in result.stdout and "locate" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "HEAVY []", result.stderr


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

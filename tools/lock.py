"""Write the hash-checked locks: the workbench's and each built-in template's.

    python tools/lock.py             # re-resolve what changed, keeping every other pin
    python tools/lock.py --upgrade   # the newest versions the ranges allow (tools/drift.sh)
    python tools/lock.py --check     # exit 1 when a lock is stale against its pyproject.toml

The locks are pip requirement files with `--hash` on every pin, resolved by uv for every
platform (`--universal`) and installed by plain pip (hash-checking is automatic), so a fresh
machine needs nothing but pip. The template's locks are resolved under the workbench's own
lock as constraints: a scaffolded project runs on the versions the workbench is tested with.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workbench.core.lockfile import check_lock, write_lock  # noqa: E402

TEMPLATE = REPO_ROOT / "templates" / "agent-service" / "template"
EXAMPLE = REPO_ROOT / "projects" / "support-agent"
# Templates without a committed example: their locks are resolved from a fresh render.
RENDERED_TEMPLATES = ["rag-agent"]

# (folder whose pyproject.toml is read, lock file name, extras)
LOCKS: list[tuple[Path, str, tuple[str, ...]]] = [
    (REPO_ROOT, "requirements.lock", ()),
    (REPO_ROOT, "requirements-dev.lock", ("dev",)),
]


def template_locks(project: Path = EXAMPLE) -> list[tuple[str, tuple[str, ...]]]:
    """A template's locks: the image's (every extra but dev) and CI's (every extra), read from
    `project`, a render of it."""
    from workbench.core.lockfile import project_extras

    extras = project_extras(project)
    return [
        ("requirements.lock", tuple(e for e in extras if e != "dev")),
        ("requirements-dev.lock", extras),
    ]


def write_locks(upgrade: bool) -> None:
    """Re-resolve every lock in place, then re-render the example so it carries them."""
    for folder, name, extras in LOCKS:
        print(f"wrote {write_lock(folder, name, extras, upgrade=upgrade).relative_to(REPO_ROOT)}")
    rerender = [sys.executable, str(REPO_ROOT / "tools" / "rerender_example.py")]
    subprocess.run(rerender, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        # The template's pyproject is jinja; the freshly re-rendered example holds its render.
        workdir = Path(tmp)
        shutil.copyfile(EXAMPLE / "pyproject.toml", workdir / "pyproject.toml")
        for name, extras in template_locks():
            if (TEMPLATE / name).is_file():
                shutil.copyfile(TEMPLATE / name, workdir / name)
            constraints = REPO_ROOT / "requirements-dev.lock"
            write_lock(workdir, name, extras, upgrade=upgrade, constraints=constraints)
            shutil.copyfile(workdir / name, TEMPLATE / name)
            print(f"wrote {(TEMPLATE / name).relative_to(REPO_ROOT)}")
    subprocess.run(rerender, check=True)
    for template in RENDERED_TEMPLATES:
        write_rendered_template_locks(template, upgrade)


def _render_pyproject(template: str, folder: Path) -> None:
    """Write `template`'s pyproject.toml (and its current locks) rendered with the defaults."""
    from workbench.core.render import render

    tree = render(template, {})
    (folder / "pyproject.toml").write_bytes(tree.files["pyproject.toml"])
    for name in ("requirements.lock", "requirements-dev.lock"):
        if name in tree.files:
            (folder / name).write_bytes(tree.files[name])


def write_rendered_template_locks(template: str, upgrade: bool) -> None:
    """Re-resolve a template's locks from a render of its pyproject, under the workbench's."""
    target = REPO_ROOT / "templates" / template / "template"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        _render_pyproject(template, workdir)
        for name, extras in template_locks(workdir):
            constraints = REPO_ROOT / "requirements-dev.lock"
            write_lock(workdir, name, extras, upgrade=upgrade, constraints=constraints)
            shutil.copyfile(workdir / name, target / name)
            print(f"wrote {(target / name).relative_to(REPO_ROOT)}")


def stale_locks() -> list[str]:
    """Every problem of every lock, as one-line strings."""
    problems = []
    for folder, name, extras in LOCKS:
        problems += [f"{folder.name}/{p}" for p in check_lock(folder, name, extras)]
    for name, extras in template_locks():
        problems += [f"projects/support-agent/{p}" for p in check_lock(EXAMPLE, name, extras)]
    for template in RENDERED_TEMPLATES:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            _render_pyproject(template, workdir)
            for name, extras in template_locks(workdir):
                found = check_lock(workdir, name, extras)
                problems += [f"templates/{template}/{p}" for p in found]
    return problems


def main() -> int:
    """Write (or with --check, verify) the locks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest versions allowed")
    parser.add_argument("--check", action="store_true", help="only report stale locks")
    args = parser.parse_args()
    if not args.check:
        write_locks(args.upgrade)
    problems = stale_locks()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``workbench lock``: write or check a project's hash-checked dependency locks."""

from __future__ import annotations

import subprocess

import click

from workbench.errors import CheckFailed, WorkbenchError


@click.command()
@click.argument("project")
@click.option("--upgrade", is_flag=True, help="Move every pin to the newest version allowed.")
@click.option("--check", "check_only", is_flag=True, help="Only report stale locks (exit 1).")
def lock(project: str, upgrade: bool, check_only: bool) -> None:
    """Write requirements.lock (the image's) and requirements-dev.lock (CI's) for PROJECT.

    Pins already in a lock stay unless --upgrade; resolving needs the package index.
    """
    from workbench.core.lockfile import check_lock, project_extras, write_lock
    from workbench.core.projects import resolve_project_dir

    folder = resolve_project_dir(project)
    extras = project_extras(folder)
    locks = [("requirements.lock", tuple(e for e in extras if e != "dev"))]
    if "dev" in extras:
        locks.append(("requirements-dev.lock", extras))
    if not check_only:
        for name, wanted in locks:
            try:
                write_lock(folder, name, wanted, upgrade=upgrade)
            except subprocess.CalledProcessError as error:
                last = (error.stderr or "").strip().splitlines()[-1:] or ["uv failed"]
                raise WorkbenchError(f"{folder / name}: cannot resolve: {last[0]}") from None
            click.echo(f"wrote {folder / name}")
    problems = [p for name, wanted in locks for p in check_lock(folder, name, wanted)]
    for problem in problems:
        click.echo(f"{folder}/{problem}", err=True)
    if problems:
        raise CheckFailed(f"{len(problems)} lock problem(s) in {folder}")
    if check_only:
        click.echo(f"{folder}: locks fit pyproject.toml")

"""The locks are fresh, hash-checked, and the staleness check fails on each kind of break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.core.lockfile import check_lock, project_extras, read_lock

EXAMPLE = REPO_ROOT / "projects" / "support-agent"
TEMPLATE = REPO_ROOT / "templates" / "agent-service" / "template"


@pytest.mark.parametrize(
    ("folder", "name", "extras"),
    [
        (REPO_ROOT, "requirements.lock", ()),
        (REPO_ROOT, "requirements-dev.lock", ("dev",)),
        (EXAMPLE, "requirements.lock", tuple(e for e in project_extras(EXAMPLE) if e != "dev")),
        (EXAMPLE, "requirements-dev.lock", project_extras(EXAMPLE)),
    ],
)
def test_committed_locks_fit_their_pyproject(folder: Path, name: str, extras: tuple[str, ...]):
    assert check_lock(folder, name, extras) == [], "run `python tools/lock.py`"


def test_the_template_agrees_with_the_workbench_on_shared_packages():
    """A scaffolded project runs on the versions the workbench's own suite is tested with."""
    workbench = read_lock(REPO_ROOT / "requirements-dev.lock").pins
    template = read_lock(TEMPLATE / "requirements-dev.lock").pins
    shared = set(workbench) & set(template)
    assert {"litellm", "fastapi", "pydantic", "opentelemetry-sdk"} <= shared
    differ = {
        name: (workbench[name][0].version, template[name][0].version)
        for name in shared
        if {p.version for p in workbench[name]} != {p.version for p in template[name]}
    }
    assert differ == {}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example's pyproject and runtime lock."""
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copyfile(EXAMPLE / name, tmp_path / name)
    assert check_lock(tmp_path) == []
    return tmp_path


def test_a_missing_lock_fails(project: Path):
    (project / "requirements.lock").unlink()
    assert check_lock(project) == [
        "requirements.lock: missing (write it with `workbench lock PROJECT`)"
    ]


def test_a_new_dependency_makes_the_lock_stale(project: Path):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "leftpad>=1",\n', 1
        )
    )
    problems = check_lock(project)
    assert any("pyproject.toml's dependencies changed" in p for p in problems)
    assert any("leftpad is required but not locked" in p for p in problems)


def test_a_pin_outside_the_range_is_named_with_its_line(project: Path):
    lock = project / "requirements.lock"
    text = lock.read_text()
    pin = next(line for line in text.splitlines() if line.startswith("fastapi=="))
    lock.write_text(text.replace(pin, "fastapi==0.1.0 \\"))
    problems = check_lock(project)
    number = lock.read_text().splitlines().index("fastapi==0.1.0 \\") + 1
    assert any(
        p.startswith(f"requirements.lock:{number}: stale: fastapi==0.1.0 is outside")
        for p in problems
    ), problems


def test_a_pin_without_hashes_fails(project: Path):
    lock = project / "requirements.lock"
    lines = lock.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("fastapi=="))
    end = start + 1
    while lines[end].lstrip().startswith("--hash"):
        end += 1
    lines[start:end] = [lines[start].rstrip(" \\")]
    lock.write_text("\n".join(lines) + "\n")
    assert any("has no --hash" in p and "fastapi" in p for p in check_lock(project))


def test_a_lock_without_its_digest_fails(project: Path):
    lock = project / "requirements.lock"
    lock.write_text(
        "".join(x for x in lock.read_text().splitlines(True) if "input-digest" not in x)
    )
    assert any("cannot tell what it was resolved from" in p for p in check_lock(project))

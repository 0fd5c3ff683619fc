"""Hash-checked lock files (pip requirements format) and whether one still fits its pyproject.

A lock written by `workbench lock` (or `python tools/lock.py` for the workbench and its template)
records on its second line the digest of what it was resolved from: the project's
dependencies, optional dependencies and Python range. A lock is stale when that digest no
longer matches, or when a dependency pyproject.toml asks for is missing from the lock or
pinned at a version outside its range.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIGEST_PREFIX = "# input-digest: sha256:"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)\s*(;[^\\]*)?\\?\s*$")
_HASH = re.compile(r"^\s*--hash=sha256:[0-9a-f]{64}\s*\\?\s*$")


@dataclass
class Pin:
    """One locked package: its exact version, its line and whether it carries hashes."""

    name: str
    version: str
    line: int
    marker: str | None = None
    hashes: int = 0


@dataclass
class Lock:
    """A parsed lock file."""

    path: Path
    digest: str | None
    pins: dict[str, list[Pin]] = field(default_factory=dict)


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, so `PyYAML` and `pyyaml` are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def input_digest(pyproject: dict[str, Any]) -> str:
    """The digest of everything a resolver reads from a pyproject: dependencies and Python."""
    project = pyproject.get("project", {})
    data = {
        "dependencies": sorted(project.get("dependencies", [])),
        "optional": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
        "python": project.get("requires-python", ""),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def project_extras(project_dir: Path) -> tuple[str, ...]:
    """The optional-dependency groups a project's pyproject.toml declares, sorted."""
    pyproject = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    return tuple(sorted(pyproject.get("project", {}).get("optional-dependencies", {})))


def read_lock(path: Path) -> Lock:
    """Parse a pip-compile style lock (``name==version \\`` followed by ``--hash`` lines)."""
    lock = Lock(path, None)
    current: Pin | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(DIGEST_PREFIX):
            lock.digest = line[len(DIGEST_PREFIX) :].strip()
            continue
        if _HASH.match(line) and current is not None:
            current.hashes += 1
            continue
        match = _PIN.match(line)
        if match:
            marker = match.group(4)
            current = Pin(
                match.group(1), match.group(3), number, marker[1:].strip() if marker else None
            )
            lock.pins.setdefault(canonical_name(current.name), []).append(current)
        elif line.strip() and not line.lstrip().startswith("#"):
            current = None
    return lock


def check_lock(
    project_dir: Path, lock_name: str = "requirements.lock", extras: tuple[str, ...] = ()
) -> list[str]:
    """What is wrong with a project's lock, as `file:line: problem` strings ([] when it fits).

    The lock must exist, carry hashes for every pin, record the digest of the current
    pyproject.toml, and pin every dependency (and those of `extras`) inside its range.
    """
    from packaging.markers import default_environment
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    pyproject_path = project_dir / "pyproject.toml"
    lock_path = project_dir / lock_name
    if not lock_path.is_file():
        return [f"{lock_name}: missing (write it with `workbench lock PROJECT`)"]
    pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    lock = read_lock(lock_path)
    problems: list[str] = []
    if not lock.pins:
        problems.append(f"{lock_name}: pins no package")
    for pins in lock.pins.values():
        for pin in pins:
            if pin.hashes == 0:
                problems.append(f"{lock_name}:{pin.line}: {pin.name}=={pin.version} has no --hash")
    if lock.digest is None:
        problems.append(
            f"{lock_name}: no '{DIGEST_PREFIX}…' line: cannot tell what it was resolved from"
        )
    elif lock.digest != input_digest(pyproject):
        problems.append(
            f"{lock_name}: stale: pyproject.toml's dependencies changed since it was written"
        )
    project = pyproject.get("project", {})
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    environment = {k: str(v) for k, v in default_environment().items()}
    for text in wanted:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            problems.append(f"pyproject.toml: invalid dependency {text!r}: {error}")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        pins = lock.pins.get(canonical_name(requirement.name), [])
        if not pins:
            problems.append(f"{lock_name}: stale: {requirement.name} is required but not locked")
            continue
        for pin in pins:
            try:
                inside = requirement.specifier.contains(Version(pin.version), prereleases=True)
            except InvalidVersion:
                inside = False
            if not inside:
                problems.append(
                    f"{lock_name}:{pin.line}: stale: {pin.name}=={pin.version} is outside "
                    f"pyproject.toml's {requirement}"
                )
    return problems


def write_lock(
    project_dir: Path,
    lock_name: str,
    extras: tuple[str, ...] = (),
    *,
    upgrade: bool = False,
    constraints: Path | None = None,
    python: str = "3.11",
) -> Path:
    """Resolve ``project_dir``'s pyproject.toml into a hash-checked lock, with its digest.

    uv resolves for every platform; pins already in the lock are kept unless ``upgrade``.
    Needs the package index (the only step of the workbench that does).
    """
    pyproject = project_dir / "pyproject.toml"
    target = project_dir / lock_name
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / lock_name
        if target.is_file() and not upgrade:
            shutil.copyfile(target, out)  # uv keeps the pins it finds in its output file
        command = [
            sys.executable, "-m", "uv", "pip", "compile", str(pyproject),
            "--universal", "--generate-hashes", "--python-version", python,
            "--no-header", "--no-annotate", "--quiet", "-o", str(out),
        ]  # fmt: skip
        for extra in extras:
            command += ["--extra", extra]
        if constraints is not None:
            command += ["--constraint", str(constraints)]
        if upgrade:
            command.append("--upgrade")
        subprocess.run(command, check=True, capture_output=True, text=True)
        digest = input_digest(tomllib.loads(pyproject.read_text(encoding="utf-8")))
        body = [
            line
            for line in out.read_text(encoding="utf-8").splitlines()
            if not line.startswith(DIGEST_PREFIX) and not line.startswith("# Generated by")
        ]
        header = [
            f"# Generated by `workbench lock`; install with `pip install -r {lock_name}`.",
            f"{DIGEST_PREFIX}{digest}",
        ]
        target.write_text("\n".join(header + body).rstrip("\n") + "\n", encoding="utf-8")
    return target

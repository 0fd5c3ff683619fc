"""How an adopted project's image and CI install its dependencies, from the files it has.

The first of these that exists decides (a lock over a loose list): ``requirements.lock``
(hash-checked), ``uv.lock`` (exported with hashes by a pinned uv), ``poetry.lock``
(exported by a pinned Poetry), ``requirements.txt`` (as it is, hash-checked when it has
hashes), else ``pyproject.toml``'s ``[project] dependencies``. The tools that export a
lock are installed in their own virtualenv, so they never reach the agent's.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

UV = "uv==0.13.9"
POETRY = ("poetry==2.5.1", "poetry-plugin-export==1.10.1")
# What the generated server needs beside the agent, pinned (installed only when missing).
SERVER_REQUIREMENTS = {"starlette": "starlette==1.10.0", "uvicorn": "uvicorn==0.55.0"}
# starlette comes with FastAPI; a project that has either needs no second copy.
_PROVIDES = {"starlette": ("starlette", "fastapi"), "uvicorn": ("uvicorn",)}
_INCLUDE = re.compile(r"^\s*(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", re.MULTILINE)
_LOCAL = re.compile(r"^\s*(-e|--editable)\s|^\s*\.{1,2}(/|\s|$)|^\s*file:", re.MULTILINE)


@dataclass
class DependencyPlan:
    """Files the install reads, the shell commands that install, and what was used."""

    source: str
    copy: list[str]
    commands: list[str]
    # Every dependency file's text, to tell whether the server's packages are already there.
    text: str = ""
    problems: list[str] = field(default_factory=list)

    def server_requirements(self) -> list[str]:
        """The pinned packages the generated server needs that the project does not have."""
        lowered = self.text.lower()
        return [
            pin
            for name, pin in SERVER_REQUIREMENTS.items()
            if not any(re.search(rf"(?<![\w-]){p}(?![\w-])", lowered) for p in _PROVIDES[name])
        ]


def _pip(*args: str) -> str:
    return shlex.join(["pip", "install", "--no-cache-dir", *args])


def plan_dependencies(root: Path) -> DependencyPlan | None:
    """How to install ``root``'s dependencies, or None when it declares none."""
    pyproject = root / "pyproject.toml"
    if (root / "requirements.lock").is_file():
        text = (root / "requirements.lock").read_text(encoding="utf-8", errors="replace")
        commands = [_pip("--require-hashes", "-r", "requirements.lock")]
        return DependencyPlan("requirements.lock", ["requirements.lock"], commands, text)
    for lock, export in (("uv.lock", _uv_export()), ("poetry.lock", _poetry_export())):
        if (root / lock).is_file() and pyproject.is_file():
            text = (root / lock).read_text(encoding="utf-8", errors="replace")
            commands = [*export, _pip("--require-hashes", "-r", "/tmp/requirements.txt")]
            return DependencyPlan(lock, ["pyproject.toml", lock], commands, text)
    if (root / "requirements.txt").is_file():
        return _requirements_txt(root)
    if pyproject.is_file():
        return _pyproject(pyproject)
    return None


def _uv_export() -> list[str]:
    return [
        "python -m venv /tmp/tools",
        f"/tmp/tools/bin/{_pip(UV)}",
        "/tmp/tools/bin/uv export --frozen --no-dev --no-emit-project --no-header "
        "--format requirements-txt -o /tmp/requirements.txt",
    ]


def _poetry_export() -> list[str]:
    return [
        "python -m venv /tmp/tools",
        f"/tmp/tools/bin/{_pip(*POETRY)}",
        "/tmp/tools/bin/poetry export --only main --format requirements.txt "
        "--output /tmp/requirements.txt",
    ]


def _requirements_txt(root: Path) -> DependencyPlan:
    """``requirements.txt`` and the files it includes with ``-r``/``-c``."""
    files, texts, problems = ["requirements.txt"], [], []
    queue = ["requirements.txt"]
    while queue:
        name = queue.pop(0)
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            problems.append(f"{name} (included by requirements.txt) does not exist")
            continue
        texts.append(text)
        if _LOCAL.search(text):
            problems.append(
                f"{name} installs a local path (-e . or a folder); the image installs only "
                "third-party packages and runs the source from PYTHONPATH: list the "
                "dependencies instead"
            )
        for _, included in _INCLUDE.findall(text):
            path = (Path(name).parent / included).as_posix()
            if path not in files:
                files.append(path)
                queue.append(path)
    hashed = any("--hash=" in text for text in texts)
    args = ["--require-hashes", "-r", "requirements.txt"] if hashed else ["-r", "requirements.txt"]
    return DependencyPlan("requirements.txt", files, [_pip(*args)], "\n".join(texts), problems)


def _pyproject(path: Path) -> DependencyPlan | None:
    """``[project] dependencies`` of pyproject.toml, resolved at build time (no lock)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    dependencies = data.get("project", {}).get("dependencies")
    if not dependencies:
        return None
    extract = (
        "python -c \"import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))"
        "['project']['dependencies']; open('/tmp/requirements.txt', 'w')"
        '.write(chr(10).join(deps) + chr(10))"'
    )
    commands = [extract, _pip("-r", "/tmp/requirements.txt")]
    return DependencyPlan(
        "pyproject.toml [project] dependencies (no lock: newest allowed versions at build time)",
        ["pyproject.toml"],
        commands,
        "\n".join(str(d) for d in dependencies),
    )

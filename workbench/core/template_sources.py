"""Where a template comes from: a built-in one, a local folder, or a git repository.

``workbench new --template`` takes a built-in template's name (``agent-service``)
or any copier template: a local folder holding a ``copier.yml``, or a git URL
(``https://…``, ``git@…``, ``file://…``, ``gh:owner/repo``). copier renders all
three; this module decides which one a string names, fails with one line when it
names nothing usable, and describes the built-in ones for the catalogue.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from workbench import locations
from workbench.errors import TemplateError

CONFIG_NAMES = ("copier.yml", "copier.yaml")
# The key a built-in template's copier.yml describes itself with (copier ignores
# settings it does not know, so the key is ours to add).
DESCRIPTION_KEY = "_workbench_description"
_GIT_PREFIXES = ("git@", "git+", "gh:", "gl:")
_LS_REMOTE_TIMEOUT = 60.0


@dataclass(frozen=True)
class TemplateSource:
    """A resolved template: ``location`` is what copier reads, ``label`` what is recorded."""

    kind: Literal["builtin", "folder", "git"]
    location: str
    label: str

    @property
    def builtin(self) -> bool:
        """True for the templates the workbench ships (their code is the workbench's own)."""
        return self.kind == "builtin"


@dataclass(frozen=True)
class TemplateInfo:
    """A built-in template and its one-line description, for the catalogue."""

    name: str
    description: str


def _config_file(folder: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def builtin_names() -> list[str]:
    """The names of the templates the workbench ships (folders holding a ``copier.yml``)."""
    root = locations.templates_dir()
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir() if _config_file(entry) is not None)


def describe(folder: Path) -> str:
    """A template's one-line description: its description key, else its first message line."""
    config = _config_file(folder)
    if config is None:
        return ""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    if not isinstance(data, dict):
        return ""
    for key in (DESCRIPTION_KEY, "_message_before_copy"):
        lines = str(data.get(key) or "").strip().splitlines()
        if lines:
            return lines[0].strip()
    return ""


def catalogue() -> list[TemplateInfo]:
    """Every built-in template with its one-line description, sorted by name."""
    root = locations.templates_dir()
    return [TemplateInfo(name, describe(root / name)) for name in builtin_names()]


def looks_like_git_url(text: str) -> bool:
    """True for strings copier would clone rather than read as a folder."""
    return "://" in text or text.startswith(_GIT_PREFIXES)


def resolve(template: str) -> TemplateSource:
    """What ``template`` names; a ``TemplateError`` in one line when it names nothing usable."""
    text = (template or "").strip()
    if not text:
        raise TemplateError("no template given")
    names = builtin_names()
    if text in names:
        return TemplateSource("builtin", str(locations.templates_dir() / text), text)
    if looks_like_git_url(text):
        _check_reachable(text)
        return TemplateSource("git", _copier_git_url(text), text)
    folder = Path(text).expanduser()
    if not folder.exists():
        if os.sep in text or text.startswith((".", "~")):
            raise TemplateError(f"template folder {text} does not exist")
        known = ", ".join(names) or "none"
        raise TemplateError(
            f"no template {text!r} (available: {known}); or give a template folder or git URL"
        )
    if not folder.is_dir():
        raise TemplateError(f"template {text} is not a folder")
    folder = folder.resolve()
    if _config_file(folder) is None:
        raise TemplateError(f"{folder} has no copier.yml, so it is not a copier template")
    return TemplateSource("folder", str(folder), str(folder))


def _copier_git_url(url: str) -> str:
    """``url`` as copier clones it: a URL it would not know for git gets a ``git+`` prefix."""
    if url.endswith(".git") or url.startswith((*_GIT_PREFIXES, "git://")):
        return url
    if url.startswith(("https://github.com/", "https://gitlab.com/")):
        return url
    return "git+" + url


def _check_reachable(url: str) -> None:
    """Ask git whether ``url`` answers, so an unreachable one fails in one line, fast."""
    repo = url.removeprefix("git+")
    for short, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
        if repo.startswith(short):
            repo = host + repo.removeprefix(short)
    try:
        done = subprocess.run(
            ["git", "ls-remote", "--", repo, "HEAD"],
            capture_output=True,
            text=True,
            timeout=_LS_REMOTE_TIMEOUT,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
    except FileNotFoundError:
        raise TemplateError(f"cannot fetch template {url}: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise TemplateError(
            f"cannot reach git repository {url}: no answer in {_LS_REMOTE_TIMEOUT:.0f} s"
        ) from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0].removeprefix("fatal: ") if lines else f"git exit {done.returncode}"
        raise TemplateError(f"cannot reach git repository {url}: {reason}")


def untrusted_warning(source: TemplateSource) -> str:
    """The one-line warning shown before rendering a template the workbench does not ship."""
    return (
        f"warning: template code from {source.label} runs on this machine"
        " (copier tasks, migrations and Jinja extensions); use only templates you trust"
    )

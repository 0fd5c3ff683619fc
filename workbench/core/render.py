"""Rendering a copier template into memory, reading answers files, and packing file trees.

copier stays the renderer and the keeper of the answers file; this module
renders into a throwaway folder and reads the result back as a ``Tree`` (relative
path -> bytes), so a dry run lists exactly the files a real run writes, and the
pristine render can be stored as the base of later three-way merges.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench import locations
from workbench.core import template_links, template_sources
from workbench.errors import TemplateError

ANSWERS_FILE = ".copier-answers.yml"
# The answers file names its template by this instead of an absolute path, so a
# committed project does not carry the path of whoever rendered it.
SRC_PREFIX = "workbench:"


@dataclass
class Tree:
    """Files by relative POSIX path, with the executable ones remembered."""

    files: dict[str, bytes] = field(default_factory=dict)
    executable: set[str] = field(default_factory=set)

    def paths(self) -> list[str]:
        """The relative paths, sorted."""
        return sorted(self.files)


def available_templates() -> list[str]:
    """The names of the templates the workbench ships (folders holding a ``copier.yml``)."""
    return template_sources.builtin_names()


def template_path(template: str) -> Path:
    """The folder of built-in ``template``; raises ``TemplateError`` listing the available ones."""
    names = available_templates()
    if template not in names:
        known = ", ".join(names) or "none"
        raise TemplateError(f"no template {template!r} (available: {known})")
    return locations.templates_dir() / template


def render(
    template: str | template_sources.TemplateSource,
    data: dict[str, Any],
    *,
    vcs_ref: str | None = None,
) -> Tree:
    """Render ``template`` with ``data`` (every other question takes its default).

    ``template`` is a built-in template's name, a folder or a git URL (see
    ``template_sources``); ``vcs_ref`` picks a git tag or commit (default: copier's,
    the latest release tag, else HEAD). Only templates the user named themselves
    may run code (copier's tasks, migrations, Jinja extensions): the built-in ones
    never need to.
    """
    import copier  # imported here: it is slow to import and only scaffolding needs it

    source = (
        template
        if isinstance(template, template_sources.TemplateSource)
        else template_sources.resolve(template)
    )
    with (
        tempfile.TemporaryDirectory(prefix="workbench-render-") as tmp,
        _readable(source) as location,
    ):
        target = Path(tmp) / "out"
        try:
            copier.run_copy(
                location,
                target,
                data=data,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=not source.builtin,
                vcs_ref=vcs_ref,
            )
        except Exception as error:  # copier raises ValueError, jinja and its own errors
            raise TemplateError(
                f"template {source.label!r} failed to render: {_one_line(error)}"
            ) from None
        tree = read_tree(target)
    answers = tree.files.get(ANSWERS_FILE)
    if answers is not None and source.builtin:
        tree.files[ANSWERS_FILE] = _normalise_src_path(answers, SRC_PREFIX + source.label)
    elif answers is not None and source.kind == "folder":
        # A folder copied to resolve its links to a sibling template is recorded as itself.
        tree.files[ANSWERS_FILE] = _normalise_src_path(answers, source.location)
    return tree


@contextlib.contextmanager
def _readable(source: template_sources.TemplateSource) -> Iterator[str]:
    """What copier reads for ``source``: a local template whose links point into a sibling
    template is read from a copy with those links resolved (``template_links``)."""
    if source.kind == "git":
        yield source.location
        return
    with template_links.readable_by_copier(Path(source.location)) as folder:
        yield str(folder)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _normalise_src_path(answers: bytes, src_path: str) -> bytes:
    text = answers.decode("utf-8")
    line = yaml.safe_dump({"_src_path": src_path}, width=10_000).strip()
    text = re.sub(r"^_src_path:.*$", lambda _: line, text, count=1, flags=re.M)
    return text.encode("utf-8")


def read_tree(root: Path) -> Tree:
    """Every regular file under ``root`` (symlinks and ``.git`` skipped)."""
    tree = Tree()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            tree.files[relative] = path.read_bytes()
            if path.stat().st_mode & stat.S_IXUSR:
                tree.executable.add(relative)
    return tree


def write_file(root: Path, relative: str, content: bytes, *, executable: bool = False) -> None:
    """Write one file under ``root``, creating folders, keeping the executable bit."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def read_answers(content: bytes | str, *, where: str = ANSWERS_FILE) -> dict[str, Any]:
    """Parse an answers file; a broken one raises ``TemplateError`` naming the file."""
    try:
        data = yaml.safe_load(content) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TemplateError(f"{where}{line}: not valid YAML") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: expected a mapping of answers")
    return data


def template_version(answers: dict[str, Any]) -> str:
    """The template version an answers file records (``_template_version``, else ``_commit``)."""
    for key in ("_template_version", "_commit"):
        value = answers.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def template_name(answers: dict[str, Any]) -> str | None:
    """The template an answers file names (``_template``, else copier's ``_src_path``)."""
    if answers.get("_template"):
        return str(answers["_template"])
    source = str(answers.get("_src_path") or "")
    if source.startswith(SRC_PREFIX):
        return source[len(SRC_PREFIX) :]
    return Path(source).name or None


def template_source(answers: dict[str, Any]) -> str | None:
    """What to render a project's template from again: a built-in name, a folder or a URL."""
    if answers.get("_template"):
        return str(answers["_template"])
    source = str(answers.get("_src_path") or "")
    if source.startswith(SRC_PREFIX):
        return source[len(SRC_PREFIX) :]
    return source or None


def pack(tree: Tree) -> bytes:
    """A reproducible gzipped tar of ``tree`` (fixed times and owners, sorted)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in tree.paths():
            content = tree.files[relative]
            info = tarfile.TarInfo(relative)
            info.size = len(content)
            info.mode = 0o755 if relative in tree.executable else 0o644
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def unpack(blob: bytes) -> Tree:
    """The tree stored by ``pack``."""
    tree = Tree()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob)), mode="r") as tar:
        for info in tar.getmembers():
            if not info.isfile():
                continue
            extracted = tar.extractfile(info)
            assert extracted is not None
            tree.files[info.name] = extracted.read()
            if info.mode & stat.S_IXUSR:
                tree.executable.add(info.name)
    return tree

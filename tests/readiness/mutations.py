"""Mutations of a freshly rendered project: each breaks exactly what one readiness item guards.

A mutation is a list of edits; each edit names the text it replaces, so a template change
that removes that text fails loudly ("update the mutation") instead of silently testing
nothing.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.projects import open_project
from workbench.core.readiness.checklist import judge
from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict
from workbench.core.readiness.registry import item as find_item

PROJECT = "support-agent"
PKG = "src/support_agent"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (a regular expression when ``regex``) by ``new`` in ``path``; or delete."""

    path: str
    old: str = ""
    new: str = ""
    regex: bool = False
    delete: bool = False
    append: bool = False


@dataclass(frozen=True)
class Mutation:
    """A break of one item, and what the failing verdict's evidence or hint must name."""

    item: str
    name: str
    edits: tuple[Edit, ...]
    names: str
    dynamic: bool = False
    statuses: tuple[str, ...] = ("fail",)
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"{self.item}:{self.name}"


def fresh_project(parent: Path) -> Path:
    """Render the agent-service template into ``parent`` and write ship's CI workflows."""
    from workbench.core.render import render, write_file
    from workbench.core.ship.models import ChecklistStatus
    from workbench.core.ship.plan import plan_ship, write_ci_workflows

    tree = render("agent-service", {"project_name": PROJECT})
    root = parent / PROJECT
    for rel, content in tree.files.items():
        write_file(root, rel, content, executable=rel in tree.executable)
    plan = plan_ship(open_project(root), checklist=ChecklistStatus(evaluated=True, passed=True))
    write_ci_workflows(plan)
    return root


def apply(root: Path, mutation: Mutation) -> None:
    """Apply every edit of ``mutation`` to the project at ``root``."""
    for edit in mutation.edits:
        path = root / edit.path
        if edit.delete:
            assert path.exists(), f"{mutation.id}: {edit.path} is gone: update the mutation"
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            continue
        if edit.append:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as sink:
                sink.write(edit.new)
            continue
        text = path.read_text(encoding="utf-8")
        if edit.regex:
            changed, count = re.subn(edit.old, edit.new, text, count=1, flags=re.M)
        else:
            count = text.count(edit.old)
            changed = text.replace(edit.old, edit.new, 1)
        assert count, f"{mutation.id}: {edit.old!r} not in {edit.path}: update the mutation"
        path.write_text(changed, encoding="utf-8")


def verdict(root: Path, item_id: str, *, dynamic: bool) -> Verdict:
    """Judge one item of the project at ``root`` (dynamic items start and stop their probes)."""
    from workbench.store.db import connect

    item = find_item(item_id)
    assert item is not None, item_id
    db = connect()
    ctx = CheckContext(open_project(root), run_dynamic=dynamic, db=db)
    try:
        return judge(item, ctx)
    finally:
        ctx.close()
        db.conn.close()


def explained(result: Verdict) -> str:
    """Evidence and hint on one line, for matching and for failure messages."""
    return " | ".join([*result.evidence, result.hint])

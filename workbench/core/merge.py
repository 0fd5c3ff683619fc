"""Three-way merge of file trees: the pristine base, the user's files, and a new render."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import merge3

CONFLICT_SUFFIX = ".update-conflict"


class Outcome(StrEnum):
    """What an update does with one file."""

    UNCHANGED = "unchanged"  # already what the template renders now
    UPDATED = "updated"  # untouched by the user: takes the new version
    KEPT = "kept"  # changed only by the user (or deleted): left as it is
    MERGED = "merged"  # both changed, merged cleanly
    CONFLICT = "conflict"  # both changed and clashed: the user's file is untouched
    ADDED = "added"  # new in the template
    REMOVED = "removed"  # dropped by the template: reported, never deleted


@dataclass
class FileChange:
    """The outcome for one file and, when something must be written, its new content."""

    path: str
    outcome: Outcome
    content: bytes | None = None
    # Where ``content`` goes: the file itself, or ``<path>.update-conflict`` for conflicts.
    write_to: str | None = None


@dataclass
class MergePlan:
    """Every file's outcome, in path order."""

    changes: list[FileChange] = field(default_factory=list)

    def paths(self, outcome: Outcome) -> list[str]:
        """The files with ``outcome``."""
        return [change.path for change in self.changes if change.outcome is outcome]

    def writes(self) -> list[FileChange]:
        """The changes that write a file."""
        return [change for change in self.changes if change.write_to is not None]


def merge_text(base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes, bool] | None:
    """Merge three versions of a text file: (result, clean), or ``None`` for binary files."""
    try:
        texts = [content.decode("utf-8") for content in (base, ours, theirs)]
    except UnicodeDecodeError:
        return None
    lines = [text.splitlines(keepends=True) for text in texts]
    merger = merge3.Merge3(lines[0], lines[1], lines[2])
    clean = not any(region[0] == "conflict" for region in merger.merge_regions())
    merged = "".join(
        merger.merge_lines(
            name_a="yours",
            name_b="template",
            start_marker="<<<<<<<",
            mid_marker="=======",
            end_marker=">>>>>>>",
        )
    )
    return merged.encode("utf-8"), clean


def plan_merge(
    base: dict[str, bytes] | None,
    ours: dict[str, bytes | None],
    theirs: dict[str, bytes],
) -> MergePlan:
    """Decide each file's outcome.

    ``base`` is the pristine render the project started from (``None`` when it is
    unknown: then every file that differs from the new render is a conflict);
    ``ours`` maps each path of interest to the user's current content (``None``
    when the file is missing); ``theirs`` is the new render.
    """
    plan = MergePlan()
    known_base = base or {}
    for path in sorted(set(known_base) | set(theirs)):
        plan.changes.append(
            _plan_file(path, known_base.get(path), ours.get(path), theirs.get(path), base is None)
        )
    return plan


def _plan_file(
    path: str,
    base: bytes | None,
    ours: bytes | None,
    theirs: bytes | None,
    base_unknown: bool,
) -> FileChange:
    conflict_path = path + CONFLICT_SUFFIX
    if theirs is None:
        # Only in the base: the template dropped this file.
        return FileChange(path, Outcome.REMOVED if ours is not None else Outcome.UNCHANGED)
    if ours is None:
        if base is not None and not base_unknown:
            # The user deleted a file the template still renders: respect that,
            # unless the template changed it meanwhile.
            if theirs == base:
                return FileChange(path, Outcome.KEPT)
            return FileChange(path, Outcome.CONFLICT, theirs, conflict_path)
        return FileChange(path, Outcome.ADDED, theirs, path)
    if ours == theirs:
        return FileChange(path, Outcome.UNCHANGED)
    if base is None:
        # The user has a file the template now also renders (or the base is lost).
        return FileChange(path, Outcome.CONFLICT, theirs, conflict_path)
    if ours == base:
        return FileChange(path, Outcome.UPDATED, theirs, path)
    if theirs == base:
        return FileChange(path, Outcome.KEPT)
    merged = merge_text(base, ours, theirs)
    if merged is None:
        return FileChange(path, Outcome.CONFLICT, theirs, conflict_path)
    content, clean = merged
    if clean:
        return FileChange(path, Outcome.MERGED, content, path)
    return FileChange(path, Outcome.CONFLICT, content, conflict_path)

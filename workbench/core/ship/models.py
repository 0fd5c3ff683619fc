"""The typed results of shipping: planned files, what was written, validator verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

FileStatus = Literal["new", "unchanged", "update", "edited-conflict"]


class BlockingItem(BaseModel):
    """A readiness item that fails and so blocks shipping."""

    id: str
    title: str
    hint: str = ""


class ChecklistStatus(BaseModel):
    """The readiness checklist as shipping sees it: evaluated or not, passed or not, and why."""

    evaluated: bool
    passed: bool
    blocking: list[BlockingItem] = Field(default_factory=list)
    note: str = ""


class GeneratedFile(BaseModel):
    """One file ``workbench ship`` generates, its status against the disk, and the diff."""

    path: str
    content: str
    status: FileStatus
    diff: str = ""
    template: str = ""
    # sha256 of the file on disk when planned (None: absent), so a write can tell
    # whether someone changed it between the preview and the write.
    disk_sha256: str | None = None

    @property
    def will_write(self) -> bool:
        """Whether writing the plan changes this file without ``--force``."""
        return self.status in ("new", "update")


class ShipPlan(BaseModel):
    """Everything ``workbench ship`` would write into a project, and under which checklist."""

    project_path: Path
    files: list[GeneratedFile]
    checklist: ChecklistStatus
    force: bool = False
    notes: list[str] = Field(default_factory=list)
    # Files an earlier generation wrote that this one no longer produces.
    stale: list[str] = Field(default_factory=list)
    # Why these files cannot run over the project's state backend (one line), or None:
    # ship refuses it whatever the checklist says, and --force only helps by overwriting.
    state_refusal: str | None = None

    @property
    def blocked(self) -> bool:
        """Shipping is refused: the checklist did not pass and ``--force`` was not given."""
        return not self.checklist.passed and not self.force

    @property
    def marked_failing(self) -> bool:
        """The files carry the "failing checklist" header (only --force writes them)."""
        return not self.checklist.passed

    def by_status(self, status: FileStatus) -> list[GeneratedFile]:
        """The planned files with ``status``."""
        return [file for file in self.files if file.status == status]


class ShipResult(BaseModel):
    """What ``write_ship`` did to each planned file."""

    project_path: Path
    written: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    # Edited by a person since generation and left alone (no --force).
    kept: list[str] = Field(default_factory=list)
    manifest_written: bool = False


class Finding(BaseModel):
    """One problem a validator reported."""

    message: str
    code: str = ""
    severity: str = "error"
    line: int | None = None


class ValidatorResult(BaseModel):
    """One validator's verdict on one file (or folder, for kustomize builds).

    ``skipped``: the validator could not run (its program is not installed; ``reason``
    says which package provides it). A skipped check is not ok: nothing was validated.
    """

    validator: str
    file: str
    ok: bool
    findings: list[Finding] = Field(default_factory=list)
    skipped: bool = False
    reason: str = ""

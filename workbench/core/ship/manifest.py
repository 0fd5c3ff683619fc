"""``.workbench/ship-manifest.json``: what ship generated, with sha256s to notice later edits."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from workbench.errors import ConfigError

MANIFEST = Path(".workbench") / "ship-manifest.json"


class ManifestEntry(BaseModel):
    """One generated file as it was written."""

    sha256: str
    template: str = ""


class Manifest(BaseModel):
    """Every file ship wrote into a project, by relative path."""

    generator: str = "workbench ship"
    files: dict[str, ManifestEntry] = Field(default_factory=dict)


def sha256_text(text: str) -> str:
    """The sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str | None:
    """The sha256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def load_manifest(project_dir: Path) -> Manifest:
    """The project's ship manifest (empty when ship never ran); a broken one names the file."""
    path = project_dir / MANIFEST
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Manifest()
    except (OSError, ValueError, ValidationError) as error:
        reason = str(error).splitlines()[0]
        raise ConfigError(f"{path}:1: not a ship manifest ({reason})") from None


def shipped_paths(project_dir: Path) -> set[str]:
    """What ``workbench ship`` put in a project: the files its manifest lists, and the manifest.

    They are the project's own (committed, like any file a person writes), never the
    template's, so a comparison with the template leaves them out and a re-render keeps them.
    """
    return {*load_manifest(project_dir).files, MANIFEST.as_posix()}


def dump_manifest(manifest: Manifest) -> str:
    """The manifest as stable JSON (sorted keys), so unchanged content means unchanged bytes."""
    return json.dumps(manifest.model_dump(), indent=2, sort_keys=True) + "\n"


def save_manifest(project_dir: Path, manifest: Manifest) -> bool:
    """Write the manifest if its content changed; returns whether it wrote."""
    path = project_dir / MANIFEST
    text = dump_manifest(manifest)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
    return True


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)

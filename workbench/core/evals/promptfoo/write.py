"""Writing an import into a project: the set file, variants in workbench.toml, prompt versions.

Existing files are appended to, never rewritten: variants go at the end of workbench.toml,
prompt versions at the end of prompts/system.yaml's ``versions:``. A name that is already
there with other content is a conflict (one line, nothing written); the same content is kept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import yaml

from workbench.core.evals.promptfoo.convert import ImportPlan
from workbench.core.evals.promptfoo.promptfile import with_versions
from workbench.errors import ConfigError


def write_plan(plan: ImportPlan, project_dir: Path, *, force: bool = False) -> list[Path]:
    """Write what ``plan`` holds into the project; the paths written. Conflicts write nothing."""
    toml_path = project_dir / "workbench.toml"
    prompts_path = project_dir / "prompts" / "system.yaml"
    if plan.set_path.exists() and not force:
        raise ConfigError(f"{plan.set_path} exists; choose another --set or pass --force")
    new_variants = _new_entries(plan.variants, _declared_variants(toml_path), "variant")
    new_versions = _new_entries(plan.prompt_versions, _declared_versions(prompts_path), "version")
    # Everything is composed and checked first, so a problem writes nothing.
    toml_text = _with_variants(toml_path, new_variants) if new_variants else None
    note = f"Imported from promptfoo ({plan.document['description']})."
    prompts_text = with_versions(prompts_path, new_versions, note) if new_versions else None
    header = f"# {plan.document['description']}; see `workbench eval import` in docs/evals.md.\n"
    set_text = header + dump_set(plan.document)
    plan.set_path.parent.mkdir(parents=True, exist_ok=True)
    plan.set_path.write_text(set_text, encoding="utf-8")
    written = [plan.set_path]
    if toml_text is not None:
        toml_path.write_text(toml_text, encoding="utf-8")
        written.append(toml_path)
    if prompts_text is not None:
        prompts_path.parent.mkdir(parents=True, exist_ok=True)
        prompts_path.write_text(prompts_text, encoding="utf-8")
        written.append(prompts_path)
    copy_files(plan.copies)
    written += list(plan.copies)
    return written


class _SetDumper(yaml.SafeDumper):
    """Plain YAML a person edits: no anchors or aliases, multi-line text as ``|`` blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SetDumper.add_representer(str, _text)


def dump_set(document: dict[str, Any]) -> str:
    """The set document as YAML (keys in the order built)."""
    return yaml.dump(document, Dumper=_SetDumper, sort_keys=False, allow_unicode=True, width=100)


def _new_entries(wanted: dict[str, Any], existing: dict[str, Any], what: str) -> dict[str, Any]:
    new = {}
    for name, value in wanted.items():
        if name not in existing:
            new[name] = value
        elif _comparable(existing[name]) != _comparable(value):
            raise ConfigError(
                f"{what} {name!r} already exists with other settings; rename or remove it first"
            )
    return new


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _declared_variants(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path.parent}: not a workbench project (no workbench.toml)")
    with path.open("rb") as handle:
        return dict(tomllib.load(handle).get("variants") or {})


def _declared_versions(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    versions = data.get("versions") if isinstance(data, dict) else None
    return {str(k): v for k, v in versions.items()} if isinstance(versions, dict) else {}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise ConfigError(f"cannot write {value!r} to workbench.toml")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _with_variants(path: Path, variants: dict[str, dict[str, Any]]) -> str:
    """workbench.toml's text with the variants appended (checked to parse)."""
    original = path.read_text(encoding="utf-8")
    blocks = []
    for name, variant in variants.items():
        lines = [f"[variants.{_toml_key(name)}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in variant.items()]
        blocks.append("\n".join(lines))
    text = original.rstrip("\n") + "\n\n# Imported from promptfoo\n" + "\n\n".join(blocks) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: the imported variants would not parse ({error})") from None
    return text


def copy_files(copies: dict[Path, Path]) -> None:
    """Copy assertion files that live outside the project into it."""
    for destination, source in copies.items():
        os.makedirs(destination.parent, exist_ok=True)
        shutil.copyfile(source, destination)

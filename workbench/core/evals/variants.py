"""Variants to evaluate: from ``workbench.toml [variants]`` or ad hoc on the command line."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from workbench.core.config import ProjectConfig
from workbench.errors import WorkbenchError

_FIELDS = {"prompt", "model", "description"}


class Variant(BaseModel):
    """One way to run the agent: a name, a prompt version, a model and parameters."""

    name: str
    prompt: str | None = None
    # "mock", "replay", or any litellm model string.
    model: str = "mock"
    params: dict[str, Any] = Field(default_factory=dict)
    description: str = ""

    @property
    def source(self) -> str:
        """Where the model answers from: ``mock``, ``replay`` or ``real``."""
        return self.model if self.model in {"mock", "replay"} else "real"


def declared_variants(config: ProjectConfig) -> list[Variant]:
    """The variants of ``workbench.toml``, in the order they are declared."""
    return [
        Variant(
            name=name,
            prompt=v.prompt,
            model=v.model,
            params=dict(v.params),
            description=v.description,
        )
        for name, v in config.variants.items()
    ]


def parse_variant(text: str) -> Variant:
    """An ad hoc variant: ``NAME=prompt@v2,model=openai/gpt-4o-mini,temperature=0.2``.

    ``name=NAME,…`` is accepted too; keys other than prompt, model and description
    become model parameters (numbers and booleans parsed as JSON).
    """
    head, sep, rest = text.partition("=")
    if not sep or not head.strip():
        raise WorkbenchError(f"--variant {text!r}: expected NAME=prompt@VERSION,model=MODEL")
    parts = [part.strip() for part in rest.split(",") if part.strip()]
    if head.strip() == "name":
        if not parts:
            raise WorkbenchError(f"--variant {text!r}: empty name")
        name, parts = parts[0], parts[1:]
    else:
        name = head.strip()
    fields: dict[str, Any] = {"name": name, "params": {}}
    for part in parts:
        if part.startswith("prompt@"):
            fields["prompt"] = part.removeprefix("prompt@")
            continue
        key, eq, value = part.partition("=")
        if not eq and "@" in part:
            key, _, value = part.partition("@")
            eq = "="
        if not eq or not key:
            raise WorkbenchError(f"--variant {text!r}: {part!r} is not key=value")
        key = key.strip()
        if key in _FIELDS:
            fields[key] = value
        else:
            fields["params"][key.removeprefix("params.")] = _scalar(value)
    return Variant.model_validate(fields)


def _scalar(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def select_variants(
    config: ProjectConfig,
    names: list[str] | None = None,
    ad_hoc: list[str] | None = None,
    set_default: list[str] | None = None,
) -> list[Variant]:
    """The variants a run uses: named ones (declared), then ad hoc ones; defaults when none.

    Without names: the set's ``variants``, else every declared variant, else one
    ``default`` variant (the project's current prompt against the mock).
    """
    declared = {variant.name: variant for variant in declared_variants(config)}
    extra = [parse_variant(text) for text in ad_hoc or []]
    chosen: list[Variant] = []
    wanted = names if names else ([] if extra else (set_default or list(declared)))
    ad_hoc_names = {variant.name for variant in extra}
    for name in wanted:
        if name in ad_hoc_names:
            continue
        if name not in declared:
            known = ", ".join(declared) or "none declared"
            raise WorkbenchError(f"unknown variant {name!r} (workbench.toml declares: {known})")
        chosen.append(declared[name])
    chosen.extend(extra)
    if not chosen:
        chosen = [Variant(name="default")]
    seen: set[str] = set()
    for variant in chosen:
        if variant.name in seen:
            raise WorkbenchError(f"variant {variant.name!r} is named twice")
        seen.add(variant.name)
    return chosen

"""Which variant a turn runs and against which model: the user's choice, checked and settled."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.config import ModelSource, VariantSection
from workbench.core.projects import Project
from workbench.errors import WorkbenchError

MOCK_SOURCES = ("mock", "replay")


@dataclass(frozen=True)
class Target:
    """Which variant runs and against which model: ``model`` is what the user chose,
    ``api_base`` where a real model is served (None: the provider's own address)."""

    variant: str | None
    settings: VariantSection | None
    model: str
    source: ModelSource
    api_base: str | None = None
    # The environment variable holding the key for ``api_base`` (its name, never its value).
    api_key_env: str | None = None


def choose_target(
    project: Project,
    *,
    model: str | None,
    variant: str | None,
    api_base: str | None = None,
    record: bool = False,
    api_key_env: str | None = None,
) -> Target:
    """The variant (only when named: otherwise the project runs as deployed, on its current
    prompt) and the model (flag, else the variant's, else the mock). ``record`` sends a real
    model's calls through the mock, which stores them as the project's cassettes."""
    variants = project.config.variants
    if variant is not None and variant not in variants:
        known = ", ".join(sorted(variants)) or "none declared"
        raise WorkbenchError(f"no variant {variant!r} in workbench.toml (known: {known})")
    name = variant
    settings = variants.get(name) if name else None
    chosen = model or (settings.model if settings else None) or "mock"
    if chosen in MOCK_SOURCES and (record or api_base):
        flag = "--record" if record else "--api-base"
        raise WorkbenchError(
            f"{flag} needs a real model (a litellm model string such as openai/gpt-4o-mini), "
            f"not {chosen!r}"
        )
    source: ModelSource = "mock" if chosen == "mock" else "replay" if chosen == "replay" else "real"
    if record:
        source = "record"
    api_key_env = api_key_env or project.config.models.api_key_env
    return Target(
        variant=name,
        settings=settings,
        model=chosen,
        source=source,
        api_base=api_base,
        api_key_env=api_key_env,
    )

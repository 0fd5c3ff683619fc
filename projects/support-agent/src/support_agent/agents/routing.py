"""Model routing: which model answers, where it lives, and what it falls back to.

The rule (documented in README.md): a request is *simple* when it is short (at most
`cheap_max_chars` characters), carries no order number (4+ digits) and mentions none of
refunds, returns, cancellations, charges, damage, warranty or complaints. Simple requests go
to the cheap model; everything else to the strong one. A model named in the request (or
`AGENT_MODEL_OVERRIDE`) bypasses the rule. The fallback chain is `[models] fallbacks`
without the chosen model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..infra.settings import Settings
from .keys import named_key

ORDER_NUMBER = re.compile(r"\b\d{4,}\b")
COMPLEX_WORDS = re.compile(
    r"\b(?:refund|return|cancel|charge|damage|broken|defect|warrant|complain|escalat|lawyer)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ModelTarget:
    """The model to call first, its fallbacks, and where they are served."""

    primary: str
    fallbacks: tuple[str, ...] = ()
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    reason: str = ""

    def cache_key(self) -> tuple[Any, ...]:
        """What identifies a router built for this target (the key stays out of reprs)."""
        return (self.primary, self.fallbacks, self.api_base, self.api_key)


def is_simple(text: str, max_chars: int) -> bool:
    """Whether the cheap model can handle `text` (see the module docstring)."""
    return (
        len(text) <= max_chars and not ORDER_NUMBER.search(text) and not COMPLEX_WORDS.search(text)
    )


def _at_endpoint(model: str) -> str:
    """An OpenAI-compatible endpoint serves every model under the `openai/` provider."""
    return model if model.startswith("openai/") else "openai/" + model.split("/", 1)[-1]


def choose_target(request: dict[str, Any], text: str, settings: Settings) -> ModelTarget:
    """Route this turn: the request's model, the override, or the cheap/strong rule."""
    api_base = request.get("api_base") or settings.llm_api_base
    api_key = named_key(request, settings)
    explicit = request.get("model") or settings.model_override
    if explicit:
        primary, reason = explicit, "requested"
    elif is_simple(text, settings.cheap_max_chars):
        primary, reason = settings.cheap_model(), "simple request -> cheap model"
    else:
        primary, reason = settings.strong_model(), "complex request -> strong model"
    fallbacks = list(settings.models.fallbacks)
    if api_base:
        if not explicit:
            primary = _at_endpoint(primary)
        fallbacks = [_at_endpoint(m) for m in fallbacks]
    chain = tuple(dict.fromkeys(m for m in fallbacks if m != primary))
    return ModelTarget(primary, chain, api_base, api_key, reason)

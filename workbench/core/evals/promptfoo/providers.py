"""promptfoo providers as workbench variants: model ids in litellm's words, config as params."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.evals.promptfoo.report import Outcome

# promptfoo provider prefix -> litellm provider prefix ("" = litellm's default, OpenAI).
_PREFIXES = {
    "openai": "",
    "anthropic": "anthropic/",
    "azure": "azure/",
    "azureopenai": "azure/",
    "bedrock": "bedrock/",
    "vertex": "vertex_ai/",
    "google": "gemini/",
    "gemini": "gemini/",
    "mistral": "mistral/",
    "groq": "groq/",
    "ollama": "ollama/",
    "openrouter": "openrouter/",
    "togetherai": "together_ai/",
    "together": "together_ai/",
    "deepseek": "deepseek/",
    "perplexity": "perplexity/",
    "fireworks": "fireworks_ai/",
    "cohere": "cohere/",
    "xai": "xai/",
    "cerebras": "cerebras/",
    "huggingface": "huggingface/",
    "replicate": "replicate/",
}
# The API flavour segment promptfoo puts between provider and model.
_FLAVOURS = {"chat", "messages", "completion", "responses", "assistant", "embedding", "embeddings"}
# Provider config keys that are model parameters here (promptfoo camelCase -> litellm).
_PARAMS = {
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "maxTokens": "max_tokens",
    "max_completion_tokens": "max_completion_tokens",
    "top_p": "top_p",
    "topP": "top_p",
    "top_k": "top_k",
    "topK": "top_k",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "stop": "stop",
    "response_format": "response_format",
    "reasoning_effort": "reasoning_effort",
}
_SECRET_KEYS = re.compile(r"(?i)api_?key|token|secret|password|authorization|headers")
_ENDPOINT_KEYS = {"apiBaseUrl", "apiHost", "api_base", "apiBase", "baseUrl", "base_url"}
# Not model APIs: custom code or HTTP endpoints that the project's agent replaces.
_NOT_MODELS = ("exec:", "python:", "file://", "http", "https:", "webhook:", "echo", "js:")


@dataclass
class ProviderVariant:
    """A provider converted to a variant (or not), with notes on what changed."""

    source: str
    model: str | None
    label: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[tuple[Outcome, str]] = field(default_factory=list)
    skipped: str | None = None


def litellm_model(provider_id: str) -> str | None:
    """A promptfoo provider id as a litellm model string, or ``None`` when it is not a model.

    ``openai:gpt-4o-mini`` -> ``gpt-4o-mini``; ``openai:chat:gpt-4o`` -> ``gpt-4o``;
    ``anthropic:messages:claude-3-5-haiku-latest`` -> ``anthropic/claude-3-5-haiku-latest``;
    ``ollama:chat:llama3`` -> ``ollama_chat/llama3``; ``azure:chat:DEPLOYMENT`` -> ``azure/…``.
    """
    if provider_id.startswith(_NOT_MODELS):
        return None
    parts = provider_id.split(":")
    if len(parts) < 2 or parts[0] not in _PREFIXES:
        return None
    prefix, rest = parts[0], parts[1:]
    flavour = rest[0] if len(rest) > 1 and rest[0] in _FLAVOURS else None
    if flavour:
        rest = rest[1:]
    model = ":".join(rest)
    if not model:
        return None
    if prefix == "ollama" and flavour == "chat":
        return f"ollama_chat/{model}"
    if prefix == "openai" and flavour == "completion":
        return f"text-completion-openai/{model}"
    return f"{_PREFIXES[prefix]}{model}"


def convert_provider(raw: Any) -> ProviderVariant:
    """One entry of ``providers:`` (a string, ``{id, label, config}`` or ``{ID: {config}}``)."""
    if isinstance(raw, str):
        return _convert(raw, None, {})
    if isinstance(raw, dict) and "id" in raw:
        variant = _convert(str(raw["id"]), raw.get("label"), _mapping(raw.get("config")))
        for key in sorted(set(raw) - {"id", "label", "config"}):
            variant.notes.append(("not converted", f"provider option {key!r} is not used here"))
        return variant
    if isinstance(raw, dict) and len(raw) == 1:
        ((provider_id, options),) = raw.items()
        options = _mapping(options)
        label = options.get("label") or options.get("id")
        return _convert(str(provider_id), label, _mapping(options.get("config")))
    return ProviderVariant(source=str(raw)[:60], model=None, skipped="not a provider entry")


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _convert(provider_id: str, label: Any, config: dict[str, Any]) -> ProviderVariant:
    model = litellm_model(provider_id)
    variant = ProviderVariant(source=provider_id, model=model, label=str(label) if label else None)
    if model is not None and set(provider_id.split(":")[1:-1]) & {"embedding", "embeddings"}:
        variant.model = None
        variant.skipped = (
            "an embedding model cannot answer the agent's turns; name it as the provider"
            " of similar assertions instead"
        )
        return variant
    if model is None:
        variant.skipped = (
            "not a model API (custom code or an HTTP endpoint): the project's agent is what"
            " runs here; declare the model it should use as a variant"
            if provider_id.startswith(_NOT_MODELS)
            else "unknown provider prefix; pass the model with --variant NAME=model=LITELLM_ID"
        )
        return variant
    for key, value in config.items():
        if key in _PARAMS:
            variant.params[_PARAMS[key]] = value
        elif key in _ENDPOINT_KEYS:
            variant.notes.append(
                ("not converted", f"{key}: pass the endpoint at run time with --api-base")
            )
        elif _SECRET_KEYS.search(key):
            variant.notes.append(
                ("not converted", f"{key}: credentials are never imported (environment or .env)")
            )
        else:
            variant.notes.append(("not converted", f"config {key!r} is not a model parameter here"))
    return variant


def variant_name(variant: ProviderVariant, taken: set[str]) -> str:
    """A unique, TOML-safe variant name from the label or the model."""
    return unique_name(variant.label or (variant.model or "variant").rsplit("/", 1)[-1], taken)


def unique_name(base: str, taken: set[str]) -> str:
    """``base`` as a TOML-safe slug, made unique among ``taken`` (and added to it)."""
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "variant"
    name, index = slug, 2
    while name in taken:
        name, index = f"{slug}-{index}", index + 1
    taken.add(name)
    return name

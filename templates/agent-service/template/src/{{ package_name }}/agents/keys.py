"""Which API key a model call carries: a provider's key goes only to that provider's own host.

`OPENAI_API_KEY` is for api.openai.com. Sent to whatever `api_base` names (a local server, a
recording proxy, a colleague's gateway) it would leak, so a call to any other host carries the
key named for that base (`AGENT_LLM_API_KEY`, or the variable `AGENT_LLM_API_KEY_ENV` names)
or a placeholder that is no secret.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ..infra.settings import Settings

# Sent to an endpoint that was given no key of its own; local servers accept anything.
PLACEHOLDER = "not-needed"

# Hosts of providers whose default address litellm leaves implicit (for the others,
# `litellm.get_llm_provider` names it).
_DEFAULT_HOSTS = {
    "openai": "api.openai.com",
    "anthropic": "api.anthropic.com",
    "gemini": "generativelanguage.googleapis.com",
    "openrouter": "openrouter.ai",
    "cohere": "api.cohere.ai",
}


def provider_name(model: str) -> str:
    """The provider prefix of a litellm model string (`gpt-4o` is OpenAI's)."""
    return model.split("/", 1)[0] if "/" in model else "openai"


def provider_key(model: str) -> str | None:
    """The provider's key from the environment (``openai/x`` reads ``OPENAI_API_KEY``)."""
    return os.environ.get(f"{provider_name(model).upper()}_API_KEY") or None


def provider_host(model: str) -> str | None:
    """The host the provider's API is served from by default (None when unknown)."""
    provider = provider_name(model)
    if provider in _DEFAULT_HOSTS:
        return _DEFAULT_HOSTS[provider]
    try:
        from .llm import litellm_module

        default_base = litellm_module().get_llm_provider(model)[3]
    except Exception:
        return None
    return urlsplit(default_base).hostname if default_base else None


def is_provider_host(model: str, api_base: str) -> bool:
    """Whether `api_base` is the model's own provider's API (over https)."""
    parts = urlsplit(api_base)
    return parts.scheme == "https" and parts.hostname == provider_host(model)


def named_key(request: dict, settings: Settings) -> str | None:
    """The key the caller named for the endpoint: the request's, `llm_api_key`, or the value
    of the variable named by the request's `api_key_env`, `llm_api_key_env` or workbench.toml's
    `[models] api_key_env`."""
    explicit = request.get("api_key") or settings.llm_api_key
    if explicit:
        return explicit
    variable = request.get("api_key_env") or settings.llm_api_key_env or settings.models.api_key_env
    if not variable:
        return None
    return os.environ.get(variable) or None


def key_for(model: str, api_base: str | None, named: str | None) -> str | None:
    """The key one deployment sends: the named one, else the provider's key on the provider's
    own host, else (another host) the placeholder. None leaves litellm to read the provider's
    variable, which it sends only to the provider's default address."""
    if named:
        return named
    if not api_base:
        return None
    if is_provider_host(model, api_base):
        return provider_key(model)
    return PLACEHOLDER

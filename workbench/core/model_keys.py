"""Which API key goes with a model call: a provider's key only to that provider's own host.

``OPENAI_API_KEY`` belongs to api.openai.com. Handed to whatever ``--api-base`` names (a local
server, a recording proxy) it would leak, so another host gets the key the user named for it
(``--api-key-env`` or ``[models] api_key_env``) or a placeholder that is no secret. The
generated project applies the same rule (its ``agents/keys.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from workbench.core.llm import import_litellm
from workbench.errors import ModelError

# Sent to an endpoint that was given no key of its own; local servers accept anything.
PLACEHOLDER = "not-needed"

# Default hosts litellm leaves implicit (for other providers `get_llm_provider` names one).
_DEFAULT_HOSTS = {
    "openai": "api.openai.com",
    "anthropic": "api.anthropic.com",
    "gemini": "generativelanguage.googleapis.com",
    "openrouter": "openrouter.ai",
    "cohere": "api.cohere.ai",
}


def _provider(model: str) -> tuple[str | None, str | None]:
    """(provider, its default api_base) for a litellm model string; (None, None) if unknown."""
    try:
        _, provider, _, default_base = import_litellm().get_llm_provider(model)
    except Exception:
        return None, None
    return str(provider), default_base


def provider_host(model: str) -> str | None:
    """The host the model's provider serves its API from by default (None when unknown)."""
    provider, default_base = _provider(model)
    if provider in _DEFAULT_HOSTS:
        return _DEFAULT_HOSTS[provider]
    return urlsplit(default_base).hostname if default_base else None


def is_provider_host(model: str, api_base: str) -> bool:
    """Whether ``api_base`` is the model's own provider's API (over https)."""
    parts = urlsplit(api_base)
    return parts.scheme == "https" and parts.hostname == provider_host(model)


def named_key(api_key_env: str, env: Mapping[str, str]) -> str:
    """The value of the variable the user named for a key (a one-line error when unset)."""
    value = env.get(api_key_env)
    if not value:
        raise ModelError(f"--api-key-env {api_key_env}: the variable is not set")
    return value


def key_for(
    model: str, api_base: str | None, env: Mapping[str, str], api_key_env: str | None = None
) -> str | None:
    """The key a call to ``model`` at ``api_base`` may carry: the named one, else the provider's
    ``<PROVIDER>_API_KEY`` on the provider's own host (None when unset: litellm then looks for
    credentials itself, for that host only), else the placeholder."""
    if api_key_env:
        return named_key(api_key_env, env)
    if api_base and not is_provider_host(model, api_base):
        return PLACEHOLDER
    provider, _ = _provider(model)
    if provider is None:
        return None
    return env.get(f"{provider.upper()}_API_KEY") or None


def needs_provider_key(model: str, api_base: str | None, api_key_env: str | None) -> bool:
    """Whether the provider's own key variable must be set for this call."""
    return not api_key_env and (not api_base or is_provider_host(model, api_base))

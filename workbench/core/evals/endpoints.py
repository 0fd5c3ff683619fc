"""Where the judge (``llm-rubric``) and embeddings (``similar``) calls go, and with which key.

The judge, in this order: ``--judge-model`` (the run's explicit choice), the assertion's
``provider:``, ``[evals] judge_model``, the variant's own model and api base. A mock or
replay variant's run stays offline: models an assertion names are not called, its judge
and embeddings are the mock's. A model an
assertion names is served by the run's ``--api-base`` when the run has one and the model
is an OpenAI-compatible name (``gpt-4o-mini``, ``openai/…``), else by its own provider.
Nothing here picks a hosted provider that nobody named, and a provider's key only goes
to that provider's own host (``model_keys.key_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Embedding model used at a variant's own endpoint (the mock, an OpenAI-compatible server,
# or OpenAI itself when the variant is an OpenAI model).
DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
# `--judge-model mock`: the deterministic mock judge (rubric terms found in the reply).
MOCK_JUDGE = "mock"
_MOCK_KEY = "mock-key-not-secret"


def check_named_model(provider: str | None) -> None:
    """Refuse promptfoo's spelling of a judge or embedding model (``openai:gpt-4o``), which
    litellm cannot call, naming the litellm string it stands for."""
    if not provider or provider == "mock":
        return
    from workbench.core.evals.promptfoo.providers import litellm_model

    model = litellm_model(provider)
    if model is not None and model != provider:
        raise ValueError(
            f"provider {provider!r} is promptfoo's spelling; here models are litellm strings:"
            f" {model!r} (workbench eval import converts whole configs)"
        )


def _offline(own: Mapping[str, Any]) -> bool:
    """A mock or replay variant: its run stays on the workbench's mock, whatever is named."""
    return own.get("source") in {"mock", "replay"}


def _openai_compatible(model: str) -> bool:
    return "/" not in model or model.startswith("openai/")


def named_target(model: str, own: Mapping[str, Any]) -> dict[str, Any]:
    """Where a model an assertion names is called: the run's --api-base, else its provider."""
    if own.get("source") == "real" and own.get("api_base") and _openai_compatible(model):
        return {
            "model": model,
            "api_base": own["api_base"],
            "source": "real",
            "api_key_env": own.get("api_key_env"),
        }
    return {"model": model, "api_base": None, "source": "real"}


def judge_target(
    variant_target: Mapping[str, Any] | None,
    *,
    provider: str | None,
    override: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The judge's ``{model, api_base, source, api_key_env}`` for one assertion."""
    own = dict(variant_target or {"source": "mock"})
    chosen = dict(override) if override and override.get("model") else None
    if provider == "mock" or (provider and _offline(own) and not (chosen and chosen.get("forced"))):
        return own
    if chosen is not None and (chosen.get("forced") or not provider):
        if chosen["model"] == MOCK_JUDGE:
            return {"source": "mock"}  # the deterministic mock judge, no model called
        return {
            "model": chosen["model"],
            "api_base": chosen.get("api_base"),
            "source": "real",
            "api_key_env": chosen.get("api_key_env"),
        }
    if provider:
        return named_target(provider, own)
    return own


def embedding_target(
    variant_target: Mapping[str, Any] | None, *, provider: str | None
) -> dict[str, Any]:
    """The embedding model and endpoint for ``similar`` (the variant's own endpoint by default)."""
    own = dict(variant_target or {"source": "mock"})
    if provider and not _offline(own):
        return named_target(provider, own)
    if own.get("api_base"):
        return {**own, "model": DEFAULT_EMBEDDING_MODEL}
    model = str(own.get("model") or "")
    if own.get("source") == "real" and (model.startswith("openai/") or "/" not in model):
        # The variant's own provider, which the user already named (and holds the key for).
        return {**own, "model": DEFAULT_EMBEDDING_MODEL}
    raise ValueError(
        f"similar: no embedding model for the variant's model {model or 'mock'!r}; name one"
        " with 'provider:' (e.g. openai/text-embedding-3-small)"
    )


def call_options(target: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """litellm keyword arguments for a call to ``target``: its api base and the key it may carry."""
    options: dict[str, Any] = {}
    base = target.get("api_base")
    if target.get("source") in {"mock", "replay"}:
        if base:
            options.update(api_base=base, api_key=_MOCK_KEY)
        return options
    from workbench.core.model_keys import key_for

    key = key_for(str(target["model"]), base, env, target.get("api_key_env"))
    if base:
        options["api_base"] = base
    if key:
        options["api_key"] = key
    return options

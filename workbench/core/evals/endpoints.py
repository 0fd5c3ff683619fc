"""Where the judge (``llm-rubric``) and embeddings (``similar``) calls go, and with which key.

The order is always: what the assertion names (``provider:``), then what the user named for
the run (``--judge-model`` / ``[evals] judge_model``), then the variant's own model and api
base. Nothing here ever picks a hosted provider that none of these named, and a provider's
key only goes to that provider's own host (``model_keys.key_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Embedding model used at a variant's own endpoint (the mock, an OpenAI-compatible server,
# or OpenAI itself when the variant is an OpenAI model).
DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
_MOCK_KEY = "mock-key-not-secret"


def judge_target(
    variant_target: Mapping[str, Any] | None,
    *,
    provider: str | None,
    override: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The judge's ``{model, api_base, source, api_key_env}`` for one assertion."""
    own = dict(variant_target or {"source": "mock"})
    if provider and provider != "mock":
        base = (override or {}).get("api_base")
        return {"model": provider, "api_base": base, "source": "real"}
    if provider == "mock" or not override or not override.get("model"):
        return own
    return {
        "model": override["model"],
        "api_base": override.get("api_base"),
        "source": "real",
        "api_key_env": override.get("api_key_env"),
    }


def embedding_target(
    variant_target: Mapping[str, Any] | None, *, provider: str | None
) -> dict[str, Any]:
    """The embedding model and endpoint for ``similar`` (the variant's own endpoint by default)."""
    own = dict(variant_target or {"source": "mock"})
    if provider:
        return {"model": provider, "api_base": None, "source": "real"}
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

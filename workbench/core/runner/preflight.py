"""Checking a real model before a turn: a model string litellm knows, and its API key present."""

from __future__ import annotations

from collections.abc import Mapping

from workbench.core.llm import import_litellm
from workbench.errors import ModelError


def check_model(model: str, env: Mapping[str, str], *, key_needed: bool = True) -> None:
    """Raise ``ModelError`` (one line) if litellm cannot route ``model`` or its key is missing.

    ``env`` is the environment the project will run with (ours plus its ``.env``);
    only the names of missing keys are reported, never values. Credentials that
    may come from elsewhere (AWS profiles, gcloud) are not checked. ``key_needed`` False (a
    model served at another host, which never gets the provider's key) checks the name only.
    """
    litellm = import_litellm()
    try:
        litellm.get_llm_provider(model)
    except Exception:
        raise ModelError(
            f"model {model}: litellm does not know this model string; use provider/model, "
            "e.g. openai/gpt-4o-mini"
        ) from None
    if not key_needed:
        return
    try:
        missing = litellm.validate_environment(model=model).get("missing_keys") or []
    except Exception:
        return
    unset = [name for name in missing if name.endswith("_API_KEY") and not env.get(name)]
    if unset:
        names = " and ".join(unset)
        raise ModelError(
            f"model {model}: {names} is not set; put it in the environment or the project's "
            ".env (any value will do for a local OpenAI-compatible server)"
            if unset == ["OPENAI_API_KEY"]
            else f"model {model}: {names} is not set; put it in the environment or the "
            "project's .env"
        )

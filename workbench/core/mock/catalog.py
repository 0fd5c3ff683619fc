"""Which models the mock serves: what ``/v1/models`` lists and what a request may name."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from workbench.core.mock.api_errors import ApiError, model_not_found
from workbench.core.mock.loader import RuleBook
from workbench.core.pricing import model_map

# Embedding models and their default vector sizes; the mock always serves these.
EMBEDDING_MODELS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
# The only embedding model whose size is fixed (the API refuses ``dimensions`` for it).
FIXED_SIZE = frozenset({"text-embedding-ada-002"})
GLOB_CHARS = frozenset("*?[")


def bare(model: str) -> str:
    """The name a client sends for a litellm model string: ``openai/gpt-4o`` -> ``gpt-4o``."""
    return model.split("/", 1)[-1]


def _is_glob(name: str) -> bool:
    return any(char in GLOB_CHARS for char in name)


def chat_names(priced_as: str, extra: Iterable[str], book: RuleBook) -> list[str]:
    """Chat models served, in order: ``priced_as``, the project's and the rules' literal names."""
    names = [priced_as, *(bare(name) for name in extra), *book.models]
    for rule in book.rules:
        names += [name for name in rule.when.model or () if not _is_glob(name)]
    return list(dict.fromkeys(name for name in names if name and not _is_glob(name)))


def chat_patterns(book: RuleBook) -> list[str]:
    """Glob patterns (from ``models:`` and rules' ``when.model``) that also serve a name."""
    patterns = [name for name in book.models if _is_glob(name)]
    for rule in book.rules:
        patterns += [name for name in rule.when.model or () if _is_glob(name)]
    return patterns


def listed(priced_as: str, extra: Iterable[str], book: RuleBook) -> list[str]:
    """Every model ``/v1/models`` lists: the chat models, then the embedding models."""
    return list(dict.fromkeys([*chat_names(priced_as, extra, book), *EMBEDDING_MODELS]))


def check_served(model: str, priced_as: str, extra: Iterable[str], book: RuleBook) -> None:
    """Raise the API's 404 ``model_not_found`` unless the mock serves ``model``."""
    if model in listed(priced_as, extra, book):
        return
    folded = model.casefold()
    if any(fnmatch.fnmatchcase(folded, p.casefold()) for p in chat_patterns(book)):
        return
    raise model_not_found(model)


def check_embeddable(model: str, priced_as: str, extra: Iterable[str]) -> None:
    """Refuse, with the API's ``403``, embeddings from a served model that only chats.

    A chat model is ``priced_as``, the project's ``[models]``, or a name litellm's model map
    lists as a chat, responses or completion model; other served names may embed.
    """
    if model in EMBEDDING_MODELS:
        return
    chat = {priced_as, *(bare(name) for name in extra)}
    mode = (model_map().get(model) or {}).get("mode")
    if model in chat or mode in ("chat", "responses", "completion"):
        raise ApiError(
            "You are not allowed to generate embeddings from this model", code=None, status=403
        )


def model_object(name: str) -> dict:
    """One entry of ``/v1/models``."""
    return {"id": name, "object": "model", "created": 0, "owned_by": "workbench-mock"}

"""Embeddings through litellm: the same endpoint and key rules as the agent's model calls.

A turn that runs against an endpoint (the workbench's mock, a local server) embeds there;
otherwise the provider's own API embeds with its own key. Vectors from different places
are different spaces (the mock's are hashed features, not a real model's), so each space
gets its own collection in the index: `space` names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..agents.keys import key_for, named_key
from ..agents.llm import litellm_module
from ..infra.settings import get_settings
from .settings import RagSettings

# The workbench's mock model serves embeddings in these modes (docs/mock-rules.md).
MOCK_SOURCES = ("mock", "replay", "record")
BATCH = 256
TRANSIENT_STATUS = {408, 409, 425, 429}


class EmbeddingError(Exception):
    """Embeddings could not be computed; `transient` says whether a retry may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Embedder:
    """An embedding model at one endpoint."""

    model: str
    dimensions: int | None
    api_base: str | None
    api_key: str | None = field(default=None, repr=False)
    space: str = ""
    timeout_s: float = 20.0

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors += await self._batch(texts[start : start + BATCH])
        return vectors

    async def _batch(self, texts: list[str]) -> list[list[float]]:
        # The OpenAI SDK under litellm retries a 408/409/429/5xx twice itself, with backoff
        # and Retry-After (search_docs is therefore not retried again by the registry).
        options: dict[str, Any] = {"timeout": self.timeout_s}
        if self.dimensions:
            options["dimensions"] = self.dimensions
        if self.api_base:
            options["api_base"] = self.api_base
        if self.api_key:
            options["api_key"] = self.api_key
        try:
            response = await litellm_module().aembedding(model=self.model, input=texts, **options)
        except Exception as error:
            raise _classified(error, self.model) from None
        rows = sorted(response.data, key=lambda item: _field(item, "index"))
        return [list(map(float, _field(row, "embedding"))) for row in rows]


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def _classified(error: Exception, model: str) -> EmbeddingError:
    status = getattr(error, "status_code", None)
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    transient = status is None or status in TRANSIENT_STATUS or int(status) >= 500
    where = f"HTTP {status}" if status else type(error).__name__
    return EmbeddingError(
        f"embedding with {model} failed ({where}): {text[:300]}", transient=transient
    )


def embedder_for(request: dict[str, Any] | None, rag: RagSettings) -> Embedder:
    """The embedder a turn with `request` uses (None: the service's own configuration)."""
    settings = get_settings()
    request = request or {}
    api_base = rag.embedding_api_base or request.get("api_base") or settings.llm_api_base
    model = rag.embedding_model
    if api_base and not model.startswith("openai/"):
        # An OpenAI-compatible endpoint serves every model under the `openai/` provider.
        model = "openai/" + model.split("/", 1)[-1]
    source = (request.get("span_attributes") or {}).get("workbench.model_source")
    source = source or settings.model_source
    if api_base and source in MOCK_SOURCES:
        where = "workbench-mock"
    elif api_base:
        where = urlsplit(api_base).netloc or api_base
    else:
        where = "provider"
    return Embedder(
        model=model,
        dimensions=rag.embedding_dimensions,
        api_base=api_base,
        api_key=key_for(model, api_base, named_key(request, settings)),
        space=f"{where}/{model.split('/', 1)[-1]}/{rag.embedding_dimensions or 'native'}",
        timeout_s=rag.embedding_timeout_s,
    )

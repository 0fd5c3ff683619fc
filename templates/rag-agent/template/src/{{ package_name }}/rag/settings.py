"""Retrieval settings: `AGENT_RAG_*` variables (or `.env`), separate from the agent's own.

workbench.toml holds only what the workbench reads, so the index, the embedding model and
the chunking are set here (README.md lists them).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..infra.settings import PROJECT_ROOT, get_settings

# The bundled documents ship inside the package, so the image carries them.
BUNDLED_DOCS = Path(__file__).resolve().parent.parent / "knowledge"


class RagSettings(BaseSettings):
    """Where the index lives, which embeddings fill it, and how documents are cut."""

    model_config = SettingsConfigDict(
        env_prefix="AGENT_RAG_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    # sqlite-vec: one file next to the state database (one process or one pod).
    # pgvector: PostgreSQL at database_url, shared by any number of replicas.
    index: Literal["sqlite-vec", "pgvector"] = "sqlite-vec"
    # Default: index.sqlite3 in the folder of the state database (AGENT_MEMORY_PATH).
    index_path: Path | None = None
    # The PostgreSQL URL for pgvector; it holds the password, so it comes from the environment.
    database_url: str | None = Field(default=None, repr=False)
    collection: str = Field(default="docs", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    docs_dir: Path = BUNDLED_DOCS
    # Ingest docs_dir at the first search when the index lacks it or it changed since.
    auto_ingest: bool = True

    # A litellm embedding model; served by the workbench's mock offline.
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int | None = Field(default=512, ge=1, le=3072)
    # Where embeddings are computed; default: the turn's model endpoint (the mock, a local
    # server) or, without one, the provider's own API.
    embedding_api_base: str | None = None
    embedding_timeout_s: float = 20.0

    chunk_chars: int = Field(default=600, ge=100, le=8000)
    chunk_overlap: int = Field(default=120, ge=0)
    top_k: int = Field(default=4, ge=1, le=20)

    @model_validator(mode="after")
    def _consistent(self) -> RagSettings:
        if self.chunk_overlap >= self.chunk_chars:
            raise ValueError("AGENT_RAG_CHUNK_OVERLAP must be smaller than AGENT_RAG_CHUNK_CHARS")
        if self.index == "pgvector" and not self.database_url:
            raise ValueError("AGENT_RAG_INDEX=pgvector needs AGENT_RAG_DATABASE_URL")
        return self

    def sqlite_path(self) -> Path:
        """The sqlite-vec index file."""
        return self.index_path or get_settings().memory_path.parent / "index.sqlite3"


_override: RagSettings | None = None


@lru_cache(maxsize=1)
def _load() -> RagSettings:
    return RagSettings()


def get_rag_settings() -> RagSettings:
    """The process's retrieval settings (tests install their own with `use_rag_settings`)."""
    return _override if _override is not None else _load()


def use_rag_settings(settings: RagSettings | None) -> None:
    """Install `settings` (None goes back to reading the environment)."""
    global _override
    _override = settings
    _load.cache_clear()

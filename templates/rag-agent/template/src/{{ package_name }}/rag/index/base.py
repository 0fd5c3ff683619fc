"""What every vector index offers: collections of chunks with vectors, searched by cosine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from ..chunking import Chunk


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and its cosine similarity to the query (higher is closer)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class StoredCollection:
    """What the index knows about a collection: its embedding space, size and corpus digest."""

    name: str
    space: str
    dimensions: int
    digest: str
    chunks: int


def table_suffix(name: str, space: str) -> str:
    """A short identifier for (collection, embedding space), safe in a table name."""
    return hashlib.sha256(f"{name}\x1f{space}".encode()).hexdigest()[:16]


class VectorIndex(Protocol):
    """A collection is one corpus embedded in one space; its chunks are replaced together."""

    def collection(self, name: str, space: str) -> StoredCollection | None:
        """The stored collection, or None when it was never ingested."""
        ...

    def vectors_by_digest(self, name: str, space: str) -> dict[str, list[float]]:
        """The stored vectors keyed by chunk digest (unchanged chunks are not embedded again)."""
        ...

    def replace(
        self,
        name: str,
        space: str,
        digest: str,
        chunks: list[Chunk],
        vectors: list[list[float]],
    ) -> None:
        """Make the collection exactly `chunks` (one transaction: readers see old or new)."""
        ...

    def search(self, name: str, space: str, vector: list[float], top_k: int) -> list[Hit]:
        """The `top_k` chunks closest to `vector`, closest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

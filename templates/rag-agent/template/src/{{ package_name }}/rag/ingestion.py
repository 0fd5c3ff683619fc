"""Ingestion: a folder of documents into a collection of the index, embedding only what changed."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .chunking import chunk_documents, read_documents
from .embeddings import Embedder
from .index import VectorIndex
from .settings import RagSettings


@dataclass(frozen=True)
class IngestReport:
    """What an ingestion did."""

    documents: int
    chunks: int
    embedded: int
    reused: int
    unchanged: bool


async def ingest(
    folder: Path, index: VectorIndex, embedder: Embedder, rag: RagSettings
) -> IngestReport:
    """Make the collection `rag.collection` (in `embedder`'s space) hold `folder`'s chunks.

    A corpus whose chunks, settings and embedding space match what is stored is left
    alone; otherwise only chunks whose text changed are embedded again.
    """
    documents = await asyncio.to_thread(read_documents, folder)
    chunks = chunk_documents(documents, rag.chunk_chars, rag.chunk_overlap)
    digest = corpus_digest([(c.id, c.digest) for c in chunks], embedder.space)
    name, space = rag.collection, embedder.space
    stored = await asyncio.to_thread(index.collection, name, space)
    if stored is not None and stored.digest == digest:
        return IngestReport(len(documents), len(chunks), 0, len(chunks), unchanged=True)
    known = await asyncio.to_thread(index.vectors_by_digest, name, space)
    missing = [c for c in chunks if c.digest not in known]
    fresh = await embedder.embed([c.text for c in missing]) if missing else []
    known.update({c.digest: v for c, v in zip(missing, fresh, strict=True)})
    vectors = [known[c.digest] for c in chunks]
    await asyncio.to_thread(index.replace, name, space, digest, chunks, vectors)
    return IngestReport(
        len(documents), len(chunks), len(missing), len(chunks) - len(missing), unchanged=False
    )


def corpus_digest(chunks: list[tuple[str, str]], space: str) -> str:
    """What identifies a corpus as stored: its chunk ids and contents, and the space."""
    text = "\n".join(f"{chunk_id}\x1f{digest}" for chunk_id, digest in chunks)
    return hashlib.sha256(f"{space}\n{text}".encode()).hexdigest()[:32]

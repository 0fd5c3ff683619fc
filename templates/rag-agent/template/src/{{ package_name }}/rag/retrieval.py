"""Searching the index for a turn: the query embedded, the nearest chunks, one RETRIEVER span.

The span follows OpenInference (what the workbench's retrieval evals read): name
`retrieve <collection>`, `openinference.span.kind = RETRIEVER`, `input.value` the query,
and per chunk in rank order `retrieval.documents.<i>.document.{id,content,score,metadata}`.
Chunk text on spans is redacted like every other span text, and left out when
AGENT_TRACE_CONTENT=false.
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..infra import guardrails, tracing
from ..infra.logs import get_logger
from ..infra.settings import get_settings
from .embeddings import Embedder, embedder_for
from .index import Hit, get_index
from .ingestion import ingest
from .settings import RagSettings, get_rag_settings

log = get_logger("rag")

SPAN_KIND = "openinference.span.kind"
INPUT_VALUE = "input.value"
DOCUMENTS = "retrieval.documents"


@dataclass
class TurnRetrieval:
    """The current turn's request (where to embed) and every chunk it retrieved."""

    request: dict[str, Any] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def contexts(self) -> list[dict[str, Any]]:
        """The turn result's `contexts`: every retrieved chunk, in retrieval and rank order."""
        return [
            {"id": h.chunk.id, "source": h.chunk.source, "text": h.chunk.text, "score": h.score}
            for h in self.hits
        ]


CURRENT: ContextVar[TurnRetrieval | None] = ContextVar("turn_retrieval", default=None)

# (event loop, index key, space) already brought up to date in this process.
_synced: set[tuple[str, str]] = set()
_locks: dict[tuple[int, str, str], asyncio.Lock] = {}


def reset() -> None:
    """Forget which collections were synced (tests)."""
    _synced.clear()
    _locks.clear()


async def ensure_ingested(embedder: Embedder, rag: RagSettings) -> None:
    """With auto-ingest on, bring the collection up to date with the documents folder, once
    per process and embedding space (later calls cost nothing)."""
    if not rag.auto_ingest:
        return
    where = str(rag.database_url or rag.sqlite_path())
    key = (where, embedder.space)
    if key in _synced:
        return
    lock = _locks.setdefault((id(asyncio.get_running_loop()), *key), asyncio.Lock())
    async with lock:
        if key in _synced:
            return
        report = await ingest(rag.docs_dir, get_index(rag), embedder, rag)
        if not report.unchanged:
            log.info(
                "rag_ingested",
                collection=rag.collection,
                space=embedder.space,
                chunks=report.chunks,
                embedded=report.embedded,
            )
        _synced.add(key)


async def search(query: str, top_k: int | None = None) -> list[Hit]:
    """The chunks nearest to `query`, closest first, under a RETRIEVER span."""
    rag = get_rag_settings()
    turn = CURRENT.get()
    embedder = embedder_for(turn.request if turn else None, rag)
    k = top_k or rag.top_k
    attributes = {
        SPAN_KIND: "RETRIEVER",
        INPUT_VALUE: _traceable(query),
        "retrieval.top_k": k,
        "embedding.model_name": embedder.model,
        "workbench.rag.index": rag.index,
        "workbench.rag.space": embedder.space,
    }
    with tracing.span(f"retrieve {rag.collection}", attributes) as span:
        await ensure_ingested(embedder, rag)
        [vector] = await embedder.embed([query])
        hits = await asyncio.to_thread(
            get_index(rag).search, rag.collection, embedder.space, vector, k
        )
        span.set_attributes(document_attributes(hits, get_settings().trace_content))
    if turn is not None:
        turn.hits.extend(hits)
    return hits


def document_attributes(hits: list[Hit], with_content: bool) -> dict[str, Any]:
    """The OpenInference `retrieval.documents.<i>.document.*` attributes of `hits`."""
    attributes: dict[str, Any] = {}
    for i, hit in enumerate(hits):
        prefix = f"{DOCUMENTS}.{i}.document"
        attributes[f"{prefix}.id"] = hit.chunk.id
        attributes[f"{prefix}.score"] = round(hit.score, 6)
        attributes[f"{prefix}.metadata"] = json.dumps(
            {"source": hit.chunk.source, "title": hit.chunk.title, "position": hit.chunk.position}
        )
        if with_content:
            attributes[f"{prefix}.content"] = _traceable(hit.chunk.text)
    return attributes


def _traceable(text: str) -> str:
    return guardrails.redact_secrets(guardrails.redact_pii(text).text).text[
        : tracing.MAX_CONTENT_CHARS
    ]

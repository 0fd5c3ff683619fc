"""What a turn retrieved and cited: chunks from RETRIEVER spans or the turn result, cited ids.

A retrieval-augmented turn records each retrieval as an OpenInference RETRIEVER span
(``retrieval.documents.{i}.document.id/content/score/metadata``, in rank order); a turn
whose trace never reached the store lists the same chunks in its result's ``contexts``.
Citations are the result's ``citations``, else the ``[id]`` markers of the reply.
See docs/evals.md ("Retrieval") and the rag-agent contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

RETRIEVER_KIND = "RETRIEVER"
_DOCUMENTS = "retrieval.documents"
_FLAT = re.compile(r"^retrieval\.documents\.(\d+)\.document\.(id|content|score|metadata)$")
# An id: letters, digits, - _ . / # with at least one letter ("[1]" is a footnote, not an id).
_ID = r"[A-Za-z0-9_\-./#]*[A-Za-z][A-Za-z0-9_\-./#]*"
# "[id]" or "[id, id]", but not a Markdown link's "[text](url)".
CITATION = re.compile(rf"\[\s*({_ID}(?:\s*[,;]\s*{_ID})*)\s*\](?!\()")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrieved chunk: its id (``source#n``), its document's id, text and score."""

    id: str
    source: str
    text: str = ""
    score: float | None = None


def source_of(chunk_id: str) -> str:
    """The document (source) id of a chunk id: the part before ``#``."""
    return chunk_id.split("#", 1)[0]


def is_retriever(attributes: dict[str, Any]) -> bool:
    """Whether a span's attributes mark it an OpenInference RETRIEVER span."""
    kind = attributes.get("openinference.span.kind")
    return isinstance(kind, str) and kind.upper() == RETRIEVER_KIND


def chunks_from_span(attributes: dict[str, Any]) -> list[Chunk]:
    """The chunks a RETRIEVER span lists, in rank order (flattened or nested documents)."""
    documents: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        match = _FLAT.match(key)
        if match:
            documents.setdefault(int(match.group(1)), {})[match.group(2)] = value
    nested = attributes.get(_DOCUMENTS)
    if not documents and isinstance(nested, list):
        for index, item in enumerate(nested):
            if isinstance(item, dict):
                fields = {k.removeprefix("document."): v for k, v in item.items()}
                documents[index] = fields
    chunks = []
    for index in sorted(documents):
        chunk = _chunk(documents[index])
        if chunk is not None:
            chunks.append(chunk)
    return chunks


def _chunk(fields: dict[str, Any]) -> Chunk | None:
    chunk_id = fields.get("id")
    if chunk_id is None or not str(chunk_id).strip():
        return None
    chunk_id = str(chunk_id).strip()
    metadata = fields.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    source = metadata.get("source") if isinstance(metadata, dict) else None
    return Chunk(
        id=chunk_id,
        source=str(source).strip() if source else source_of(chunk_id),
        text=str(fields.get("content") or ""),
        score=_number(fields.get("score")),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def chunks_from_result(result: dict[str, Any]) -> list[Chunk] | None:
    """The turn result's ``contexts`` as chunks; ``None`` when the result has no such list."""
    contexts = result.get("contexts")
    if not isinstance(contexts, list):
        return None
    chunks = []
    for item in contexts:
        if isinstance(item, dict):
            chunk = _chunk(
                {
                    "id": item.get("id"),
                    "content": item.get("text", item.get("content")),
                    "score": item.get("score"),
                    "metadata": {"source": item["source"]} if item.get("source") else None,
                }
            )
            if chunk is not None:
                chunks.append(chunk)
    return chunks


def unique(chunks: list[Chunk]) -> list[Chunk]:
    """``chunks`` with a chunk retrieved twice kept once, at its first (best) rank."""
    seen: dict[str, Chunk] = {}
    for chunk in chunks:
        seen.setdefault(chunk.id, chunk)
    return list(seen.values())


def fill_texts(chunks: list[Chunk], fallback: list[Chunk] | None) -> list[Chunk]:
    """Trace chunks whose span recorded no content take the text the result gave them."""
    texts = {chunk.id: chunk.text for chunk in fallback or [] if chunk.text}
    return [
        chunk
        if chunk.text or chunk.id not in texts
        else Chunk(chunk.id, chunk.source, texts[chunk.id], chunk.score)
        for chunk in chunks
    ]


def parse_citations(text: str) -> list[str]:
    """The ids the reply cites with ``[id]`` markers, in order of first appearance, once each."""
    found: dict[str, None] = {}
    for match in CITATION.finditer(text or ""):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            found.setdefault(part, None)
    return list(found)


def citations_of(result: dict[str, Any], reply: str) -> tuple[list[str], str]:
    """The cited ids and where they came from: the result's ``citations``, else the reply."""
    listed = result.get("citations")
    if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
        return list(dict.fromkeys(item.strip() for item in listed if item.strip())), "result"
    return parse_citations(reply), "reply"


def strip_citations(text: str) -> str:
    """The reply without its ``[id]`` markers (they are not claims)."""
    return CITATION.sub("", text)


def id_matches(wanted: str, chunk: Chunk) -> bool:
    """Whether ``wanted`` (a chunk id, or a source id standing for all its chunks) is ``chunk``."""
    return wanted == chunk.id or wanted == chunk.source

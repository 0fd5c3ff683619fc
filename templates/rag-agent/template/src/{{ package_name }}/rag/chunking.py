"""Documents to chunks: Markdown files cut by section, then into overlapping windows.

A chunk's id is `<document id>#<n>` (n from 0 in reading order); the document id is the
file name without `.md`. Each chunk starts with its section heading, so a chunk read alone
still says what it is about; consecutive windows of one section share `overlap` characters
(cut at a word boundary), so a sentence split between two windows is whole in one of them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
DOCUMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class CorpusError(ValueError):
    """A document folder or file that cannot be ingested (the message names it)."""


@dataclass(frozen=True)
class Document:
    """One source document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, the unit that is embedded, retrieved and cited."""

    id: str
    source: str
    title: str
    text: str
    position: int

    @property
    def digest(self) -> str:
        """What identifies the chunk's content (an unchanged chunk keeps its vector)."""
        return hashlib.sha256(f"{self.title}\x1f{self.text}".encode()).hexdigest()[:32]


def read_documents(folder: Path) -> list[Document]:
    """Every `*.md` file of `folder` (not recursive), in name order."""
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no such folder of documents")
    documents = []
    for path in sorted(folder.glob("*.md")):
        doc_id = path.stem.lower()
        if not DOCUMENT_ID.match(doc_id):
            raise CorpusError(
                f"{path}: a document name must be lowercase letters, digits, '-', '_' or '.'"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CorpusError(f"{path}: cannot be read ({error})") from None
        documents.append(Document(doc_id, _title(text) or path.stem, text))
    if not documents:
        raise CorpusError(f"{folder}: no Markdown (*.md) documents")
    return documents


def _title(text: str) -> str | None:
    for line in text.splitlines():
        match = HEADING.match(line)
        if match and len(match.group(1)) == 1:
            return match.group(2)
    return None


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """The document's chunks: each section's paragraphs packed into windows of at most
    `size` characters (a longer paragraph is cut at sentence, then word, boundaries)."""
    if not 0 <= overlap < size:
        raise ValueError(f"overlap ({overlap}) must be at least 0 and below size ({size})")
    chunks: list[Chunk] = []
    for heading, paragraphs in _sections(document):
        prefix = f"{heading}: " if heading else ""
        room = max(size - len(prefix), size // 2)
        for window in _windows(paragraphs, room, overlap):
            n = len(chunks)
            chunks.append(
                Chunk(f"{document.id}#{n}", document.id, document.title, prefix + window, n)
            )
    return chunks


def _sections(document: Document) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) in order; the title line itself is not content."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            sections[-1][1].append(" ".join(paragraph))
            paragraph.clear()

    for line in document.text.splitlines():
        match = HEADING.match(line)
        if match:
            close()
            if len(match.group(1)) > 1:
                sections.append((match.group(2), []))
            continue
        if line.strip():
            paragraph.append(line.strip())
        else:
            close()
    close()
    return [(heading, paras) for heading, paras in sections if paras]


def _pieces(paragraph: str, room: int) -> list[str]:
    """A paragraph cut into pieces of at most `room` characters."""
    if len(paragraph) <= room:
        return [paragraph]
    pieces: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        while len(sentence) > room:
            cut = sentence.rfind(" ", 0, room)
            cut = cut if cut > 0 else room
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


def _windows(paragraphs: list[str], room: int, overlap: int) -> list[str]:
    windows: list[str] = []
    current = ""
    for piece in (p for paragraph in paragraphs for p in _pieces(paragraph, room)):
        candidate = f"{current} {piece}".strip()
        if len(candidate) <= room or not current:
            current = candidate
            continue
        windows.append(current)
        tail = _tail(current, overlap)
        current = f"{tail} {piece}".strip() if len(tail) + len(piece) < room else piece
    if current:
        windows.append(current)
    return windows


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, starting at a word."""
    if overlap <= 0:
        return ""
    tail = text[-overlap:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) - 1 and len(text) > overlap else tail


def chunk_documents(documents: list[Document], size: int, overlap: int) -> list[Chunk]:
    """The chunks of every document, in order."""
    return [chunk for doc in documents for chunk in chunk_document(doc, size, overlap)]

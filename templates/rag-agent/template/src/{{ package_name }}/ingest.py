"""`python -m {package}.ingest [FOLDER]`: put a folder of Markdown documents into the index.

The agent ingests its documents folder (AGENT_RAG_DOCS_DIR, by default the bundled
knowledge/) by itself at its first search; run this to ingest another folder, or ahead of
a deployment (a job before the pods roll out, for pgvector). It embeds only chunks whose
text changed. Errors are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from .rag.chunking import CorpusError
from .rag.embeddings import EmbeddingError, embedder_for
from .rag.index import close_indexes, get_index
from .rag.ingestion import ingest
from .rag.settings import get_rag_settings, use_rag_settings


def main(argv: list[str] | None = None) -> int:
    """Ingest, print one summary line, return the exit code."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("folder", nargs="?", type=Path, help="default: AGENT_RAG_DOCS_DIR")
    parser.add_argument("--collection", help="default: AGENT_RAG_COLLECTION (docs)")
    parser.add_argument(
        "--api-base",
        help="embed at this OpenAI-compatible endpoint (e.g. the workbench's mock: "
        "`workbench mock serve` prints it); default: AGENT_RAG_EMBEDDING_API_BASE, else "
        "the provider's API",
    )
    parser.add_argument(
        "--model-source",
        choices=["mock", "real"],
        default="real",
        help="mock: --api-base is the workbench's mock (its vectors are a space of their own)",
    )
    args = parser.parse_args(argv)
    try:
        rag = get_rag_settings()
    except ValueError as error:
        print(f"error: {str(error).splitlines()[-1].strip()}", file=sys.stderr)
        return 2
    changes: dict[str, object] = {"collection": args.collection} if args.collection else {}
    if args.folder:
        changes["docs_dir"] = args.folder
    if args.api_base:
        changes["embedding_api_base"] = args.api_base
    rag = rag.model_copy(update=changes)
    request = {"span_attributes": {"workbench.model_source": args.model_source}}
    embedder = embedder_for(request, rag)
    use_rag_settings(rag)
    try:
        report = asyncio.run(ingest(rag.docs_dir, get_index(rag), embedder, rag))
    except (CorpusError, EmbeddingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        close_indexes()
    where = rag.sqlite_path() if rag.index == "sqlite-vec" else "PostgreSQL"
    state = (
        "already up to date"
        if report.unchanged
        else (f"{report.embedded} embedded, {report.reused} reused")
    )
    print(
        f"ingested {report.documents} documents, {report.chunks} chunks ({state}) into "
        f"collection {rag.collection!r} of {rag.index} at {where} [{embedder.space}]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

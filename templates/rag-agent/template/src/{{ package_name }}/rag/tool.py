"""`search_docs`: the agent's retrieval tool, run by the shared tool registry like any other."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..tools.base import Risk, Tool, ToolError, TransientToolError
from .chunking import CorpusError
from .embeddings import EmbeddingError
from .retrieval import search


class SearchDocsArgs(BaseModel):
    """Arguments of search_docs."""

    query: str = Field(min_length=1, max_length=500, description="What the customer asks about")
    top_k: int | None = Field(
        default=None, ge=1, le=10, description="How many passages to return (default 4)"
    )


async def search_docs(args: SearchDocsArgs) -> list[dict[str, Any]]:
    """The passages nearest to the query, each with the id to cite it by."""
    try:
        hits = await search(args.query, args.top_k)
    except EmbeddingError as error:
        if error.transient:
            raise TransientToolError(str(error)) from None
        raise ToolError(str(error)) from None
    except CorpusError as error:
        raise ToolError(str(error)) from None
    return [
        {
            "id": hit.chunk.id,
            "title": hit.chunk.title,
            # One line: the model reads it as JSON, and the mock's rules quote it.
            "text": " ".join(hit.chunk.text.split()),
            "score": round(hit.score, 4),
        }
        for hit in hits
    ]


def search_docs_tool() -> Tool:
    """The tool as the registry holds it (read-only: low risk, retried when transient)."""
    return Tool(
        "search_docs",
        "Search the shop's documents (policies, shipping, warranty, payments). Answer only "
        "from the passages returned and cite each claim with the passage id in square "
        "brackets, e.g. [returns-policy#1].",
        SearchDocsArgs,
        search_docs,
        Risk.LOW,
        timeout_s=15.0,
        # Passages of 4 chunks of 600 characters, as JSON, must reach the model whole.
        max_output_chars=8000,
        # Embedding calls are retried inside litellm (the OpenAI SDK's retries, with backoff).
        attempts=1,
    )

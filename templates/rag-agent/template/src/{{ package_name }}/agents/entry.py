"""The agent's entry point: the shared turn (agents/turn.py), plus what it retrieved and cited.

`run_turn` adds two keys to the shared turn result (the workbench's rag-agent contract):
`contexts`, every chunk the turn's `search_docs` calls retrieved (`id`, `source`, `text`,
`score`, in rank order), and `citations`, the ids the answer cites as `[id]`, in order of
first appearance. Everything else is agents/turn.py, shared with the agent-service template.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..rag.citations import parse_citations
from ..rag.embeddings import embedder_for
from ..rag.index import get_index
from ..rag.retrieval import CURRENT, TurnRetrieval
from ..rag.settings import get_rag_settings
from . import turn
from .loop import EventSink
from .turn import (
    REFUSAL,
    SORRY,
    TOO_LONG,
    flush_traces,
    retry_after_s,
    session_history,
    session_store_key,
)

__all__ = [
    "REFUSAL",
    "SORRY",
    "TOO_LONG",
    "flush_traces",
    "retry_after_s",
    "run_turn",
    "session_history",
    "session_store_key",
    "warm_up",
]


async def run_turn(
    request: dict[str, Any],
    on_event: EventSink | None = None,
    *,
    wait_for_trace: bool = True,
) -> dict[str, Any]:
    """Run one agent turn (agents/turn.py) and add its `contexts` and `citations`."""
    retrieval = TurnRetrieval(request=request)
    token = CURRENT.set(retrieval)
    try:
        result = await turn.run_turn(request, on_event, wait_for_trace=wait_for_trace)
    finally:
        CURRENT.reset(token)
    result["contexts"] = retrieval.contexts()
    result["citations"] = parse_citations(result.get("output") or "")
    return result


async def warm_up(request: dict[str, Any]) -> dict[str, Any]:
    """The shared warm-up, plus opening the vector index (loading sqlite-vec or connecting
    to PostgreSQL); like it, no model call, no span, nothing written."""
    result = await turn.warm_up(request)
    rag = get_rag_settings()
    embedder_for(request, rag)
    await asyncio.to_thread(get_index, rag)
    return result

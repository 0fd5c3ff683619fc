"""A caller's own conversation history: GET /agent/sessions/{session_id}.

Sessions are namespaced by the caller (agents/entry.py), so another caller's session id
reads as an unknown session here: 404, the same as one that never existed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from ..agents.entry import session_history
from ..infra.settings import get_settings
from .security import Caller, rate_limited

router = APIRouter(tags=["sessions"])


@router.get("/agent/sessions/{session_id}")
async def get_session(
    session_id: Annotated[str, Path(max_length=128)],
    caller: Annotated[Caller, Depends(rate_limited)],
) -> dict[str, Any]:
    """The last messages of one of the caller's sessions, oldest first."""
    messages = await session_history(caller.id, session_id, get_settings().memory_window)
    if not messages:
        raise HTTPException(status_code=404, detail="no such session")
    return {"session_id": session_id, "messages": messages}

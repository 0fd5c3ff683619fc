"""Request and response bodies of the agent API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RunRequest(BaseModel):
    """One user message (or a conversation), and the session it belongs to."""

    input: str | list[dict[str, Any]] = Field(description="The user's message or a conversation")
    session_id: str | None = Field(default=None, max_length=128)
    prompt_version: str | None = Field(default=None, max_length=32)


class RunResponse(BaseModel):
    """The turn result (see run_turn)."""

    output: str
    status: str
    trace_id: str
    steps: int
    tool_calls: list[dict[str, Any]]
    usage: dict[str, float]
    model: str | None
    error: str | None

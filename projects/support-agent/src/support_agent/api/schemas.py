"""Request and response bodies of the agent API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunRequest(BaseModel):
    """One user message (or a conversation), and the session it belongs to."""

    input: str | list[dict[str, Any]] = Field(description="The user's message or a conversation")
    session_id: str | None = Field(default=None, max_length=128)
    prompt_version: str | None = Field(
        default=None, max_length=32, description="Operator keys only, outside development"
    )
    model: str | None = Field(
        default=None, max_length=128, description="Operator keys only, outside development"
    )


class RunResponse(BaseModel):
    """The turn result (see run_turn); keys a project's turn adds (the rag-agent template's
    `contexts` and `citations`) are passed through."""

    model_config = ConfigDict(extra="allow")

    output: str
    status: str
    trace_id: str
    steps: int
    tool_calls: list[dict[str, Any]]
    usage: dict[str, float]
    model: str | None
    error: str | None
    failure: str | None = None
    retry_after_s: int | None = None


class Feedback(BaseModel):
    """A user's report about an answer, tied to its trace or session."""

    trace_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    session_id: str | None = Field(default=None, max_length=128)
    rating: int = Field(ge=-1, le=1, description="-1 bad, 0 neutral, 1 good")
    comment: str = Field(default="", max_length=4000)


class Decision(BaseModel):
    """An approver's optional note on a decision (kept in the audit record)."""

    note: str | None = Field(default=None, max_length=2000)

"""The messages into and out of a model call, as every convention is read into them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ToolCall(BaseModel):
    """A tool the model asked for: its name and its arguments (JSON text, as sent)."""

    name: str
    arguments: str = ""
    id: str | None = None


class ChatMessage(BaseModel):
    """One message: who said it, its text, the tool calls it makes, the call it answers."""

    role: str
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None  # set on a tool's reply: the call it answers
    finish_reason: str | None = None

    @property
    def substantive(self) -> bool:
        """Whether the message says anything (text or tool calls)."""
        return bool(self.content.strip() or self.tool_calls)


class SpanMessages(BaseModel):
    """A span's messages in and out, and the convention each list was read from."""

    inputs: list[ChatMessage] = Field(default_factory=list)
    outputs: list[ChatMessage] = Field(default_factory=list)
    input_source: str | None = None
    output_source: str | None = None

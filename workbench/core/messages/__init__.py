"""The messages and tool calls of a model call, from whichever tracing convention recorded them.

``span_messages(attributes, events, logs)`` is the entry point; one module per
convention reads its own spelling (``genai``, ``openinference``, ``traceloop``),
``shapes`` reads the message dicts they share, and ``model`` holds the result types.
"""

from workbench.core.messages.extract import span_messages
from workbench.core.messages.model import ChatMessage, SpanMessages, ToolCall

__all__ = ["ChatMessage", "SpanMessages", "ToolCall", "span_messages"]

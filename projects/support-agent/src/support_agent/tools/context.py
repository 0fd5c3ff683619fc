"""Who a tool call acts for: set once per turn (or approval) and read by the tools themselves.

The customer a tool may read or change comes from here, never from the model's arguments:
the API derives it from the authenticated key (`AGENT_API_KEYS` entries `key:customer_id`),
so a prompt injection that names another customer's order finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

EVERY_CUSTOMER = "*"


@dataclass(frozen=True)
class ToolContext:
    """The caller behind the current tool calls."""

    # A short hash of the caller's key ("local" for in-process callers such as the workbench).
    caller_id: str = "local"
    # The customer whose data the tools may touch: None for nobody, "*" for every customer
    # (staff keys, and in-process callers: the workbench's evals run the agent directly).
    customer_id: str | None = EVERY_CUSTOMER
    # What identifies the request for write-tool idempotency (Idempotency-Key, X-Request-ID).
    request_key: str | None = None
    session_id: str | None = None

    def may_see(self, owner: str | None) -> bool:
        """Whether data owned by customer `owner` is visible to this caller."""
        if self.customer_id == EVERY_CUSTOMER:
            return True
        return self.customer_id is not None and owner == self.customer_id


IN_PROCESS = ToolContext()
_current: ContextVar[ToolContext] = ContextVar("tool_context", default=IN_PROCESS)


def current() -> ToolContext:
    """The context of the tool calls running now."""
    return _current.get()


def set_current(context: ToolContext) -> Token[ToolContext]:
    """Make `context` current until `reset_current(token)`."""
    return _current.set(context)


def reset_current(token: Token[ToolContext]) -> None:
    """Restore the context that was current before `set_current`."""
    _current.reset(token)


@contextmanager
def acting_for(context: ToolContext) -> Iterator[ToolContext]:
    """Run the enclosed tool calls on behalf of `context`."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)

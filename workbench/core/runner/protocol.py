"""The runner's wire protocol and its result model: JSON lines between the workbench and a child.

Parent to child: ``{"op": "run", "id", "request"}``, ``{"op": "cancel", "id"}``, and
``{"op": "warm", "id", "request"}`` (call the entry module's optional ``warm_up``; its reply
is a ``result`` like a turn's).
Child to parent: ``{"op": "ready", "pid"}`` once the entry is imported (or
``{"op": "fatal", "message"}`` when it cannot be), then per turn
``{"op": "result", "id", "result"}`` or ``{"op": "error", "id", "kind", "message"}``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

ErrorKind = Literal["crash", "timeout", "cancelled", "protocol", "project_error"]


class TurnOutcome(BaseModel):
    """How one turn ended: the ``run_turn`` result, or an error kind with a one-line message."""

    request_id: str
    result: dict[str, Any] | None = None
    error_kind: ErrorKind | None = None
    message: str | None = None
    wall_ms: float = 0.0
    worker_pid: int | None = None

    @property
    def ok(self) -> bool:
        """Whether ``run_turn`` returned a result (its own ``status`` may still be ``error``)."""
        return self.error_kind is None and self.result is not None


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line; non-JSON values become strings rather than failing the turn."""
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any] | None:
    """A protocol message, or ``None`` for a line that is not one."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) and "op" in message else None


def one_line(error: BaseException) -> str:
    """``Type: message`` on a single line, for errors raised by project code."""
    text = " ".join(str(error).split())
    name = type(error).__name__
    return f"{name}: {text}" if text else name

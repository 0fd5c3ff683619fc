"""What a tool is: an argument schema, a risk level, a timeout, an output limit, retries."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Risk(StrEnum):
    """How much harm a wrong call can do; high and critical need a human's approval."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def needs_approval(self) -> bool:
        """Whether a person must approve the call before it runs."""
        return self in (Risk.HIGH, Risk.CRITICAL)


class TransientToolError(Exception):
    """A failure worth retrying (a dependency timed out, was busy or dropped the connection)."""


class ToolError(Exception):
    """A permanent failure: retrying will not help and it says nothing about the dependency."""


@dataclass(frozen=True)
class Tool:
    """A callable the model may use, with everything the registry needs to call it safely."""

    name: str
    description: str
    args_model: type[BaseModel]
    func: Callable[[Any], Awaitable[Any]]
    risk: Risk = Risk.LOW
    timeout_s: float = 5.0
    max_output_chars: int = 2000
    attempts: int = 3
    retry_wait_s: float = 0.1
    # Write tools say what identifies one operation (usually `canonical_arguments`); the
    # registry combines it with the caller, the request and the tool name (see registry.py),
    # so a retried request acts once and two requests for the same thing act twice.
    idempotency_key: Callable[[Any], str] | None = None
    # The feature flag (a field of Settings.features) that must be on.
    flag: str | None = None
    # Returns a reason to refuse these (validated) arguments, or None.
    policy: Callable[[Any], str | None] | None = None

    @property
    def writes(self) -> bool:
        """Whether the tool changes state (and so carries an idempotency key)."""
        return self.idempotency_key is not None

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function schema sent to the model."""
        parameters = self.args_model.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


@dataclass
class ToolOutcome:
    """The result of one tool call as the agent and the trace see it."""

    name: str
    arguments: dict[str, Any]
    status: str
    result: Any = None
    error: str | None = None
    approval_id: str | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def for_model(self) -> str:
        """The tool message content the model reads next."""
        body: dict[str, Any] = {"status": self.status}
        if self.result is not None:
            body["result"] = self.result
        if self.error:
            body["error"] = self.error
        if self.approval_id:
            body["approval_id"] = self.approval_id
        return json.dumps(body, default=str)

    def record(self) -> dict[str, Any]:
        """The entry in a turn result's `tool_calls`."""
        return {
            "name": self.name,
            "arguments": self.arguments,
            "status": self.status,
            "result": self.result if self.result is not None else self.error,
        }


def canonical_arguments(args: BaseModel) -> str:
    """The validated arguments as canonical JSON (sorted keys): the same call, the same text."""
    return json.dumps(args.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, saying so."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 20)] + "… [truncated]"

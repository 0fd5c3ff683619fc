"""The mock rules the probes add: scheduled faults keyed on a marker in the probe's message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from workbench.core.readiness.source import SourceIndex
from workbench.core.readiness.tooldecl import sample_arguments, tool_declarations

# Model names only the probes request, so a rule can fail "the primary" and nothing else.
RETRY_MODEL = "workbench-readiness-retry"
CLIENT_ERROR_MODEL = "workbench-readiness-client-error"
DOWN_MODEL = "workbench-readiness-down"

RETRY_OK = "RETRY-OK: answered after the rate limit cleared."
FALLBACK_OK = "FALLBACK-OK: answered by a fallback model."
RETRIED_CLIENT_ERROR = "RETRIED: a client error was retried."
TOOL_HANDLED = "TOOL-HANDLED: the tool was unavailable, so here is what I can tell you."
RECALL = "RECALL turn="

RETRY_429_COUNT = 2


def marker(kind: str) -> str:
    """A probe message: its marker for the rules plus a nonce so no cache can answer it."""
    return f"[readiness:{kind}] probe {uuid.uuid4().hex[:10]}: where is my parcel?"


@dataclass(frozen=True)
class ProbeTool:
    """A low-risk tool the probes make hang or fail, with arguments its schema accepts."""

    name: str
    timeout_s: float | None
    arguments: dict[str, Any]
    where: str


def probe_tools(index: SourceIndex) -> list[ProbeTool]:
    """Low-risk tools with synthesizable arguments, unflagged ones first."""
    found = []
    for decl in sorted(tool_declarations(index), key=lambda d: d.has("flag")):
        if decl.risk not in ("low", ""):
            continue
        arguments = sample_arguments(index, decl)
        timeout = decl.value("timeout_s")
        if arguments is not None and decl.name != "?":
            found.append(
                ProbeTool(
                    decl.name,
                    float(timeout) if isinstance(timeout, int | float) else None,
                    arguments,
                    decl.hit.where,
                )
            )
    return found


def tool_faults(tools: list[ProbeTool]) -> dict[str, str]:
    """The first probe tool hangs; the second (if any) fails outright."""
    faults = {tools[0].name: "hang"} if tools else {}
    if len(tools) > 1:
        faults[tools[1].name] = "error"
    return faults


def _tool_rules(kind: str, tool: ProbeTool) -> list[dict[str, Any]]:
    tag = f"[readiness:{kind}]"
    return [
        {
            "id": f"workbench-readiness-{kind}-call",
            "when": {"user": tag, "tool_results": False},
            "respond": {"tool_calls": [{"name": tool.name, "arguments": tool.arguments}]},
        },
        {
            "id": f"workbench-readiness-{kind}-answer",
            "when": {"user": tag, "tool_results": True},
            "respond": {"text": TOOL_HANDLED},
        },
    ]


def loop_tool(tools: list[ProbeTool]) -> ProbeTool:
    """The tool the step-limit probe makes the model call forever (never the hanging one)."""
    return tools[1] if len(tools) > 1 else tools[0]


def _varying(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with the step number appended to the first string (digits stay digits)."""
    varied = dict(arguments)
    for key, value in varied.items():
        if isinstance(value, str):
            varied[key] = value + "${step}"
            break
    return varied


def _loop_rules(tool: ProbeTool) -> list[dict[str, Any]]:
    """A model that never stops calling ``tool``: with the same arguments, or new ones each step."""
    return [
        {
            "id": "workbench-readiness-loop-same",
            "when": {"user": "[readiness:loop-same]"},
            "respond": {"tool_calls": [{"name": tool.name, "arguments": tool.arguments}]},
        },
        {
            "id": "workbench-readiness-loop-vary",
            "when": {"user": "[readiness:loop-vary]"},
            "respond": {"tool_calls": [{"name": tool.name, "arguments": _varying(tool.arguments)}]},
        },
    ]


def approval_kind(tool: str) -> str:
    """The marker kind that makes the mock call ``tool`` (a tool that must wait for approval)."""
    return f"approval-{tool.lower().replace('_', '-')}"


def probe_rules(
    tools: list[ProbeTool], gated: list[ProbeTool] | None = None
) -> list[dict[str, Any]]:
    """Every rule the probes rely on (they only match the probes' own markers)."""
    rules: list[dict[str, Any]] = [
        {
            # How many answers the model has seen in this conversation: 0 unless history leaked.
            "id": "workbench-readiness-recall",
            "when": {"user": "[readiness:recall]"},
            "respond": {"text": RECALL + "${turn}"},
        },
        {
            "id": "workbench-readiness-retry",
            "when": {"user": "[readiness:retry]", "model": [RETRY_MODEL]},
            "respond": {"text": RETRY_OK},
            # retry_after 0 leaves the wait to the client's own exponential backoff.
            "fault": {
                "kind": "status",
                "status": 429,
                "retry_after": 0,
                "fail_first": RETRY_429_COUNT,
            },
        },
        {
            "id": "workbench-readiness-down",
            "when": {"user": "[readiness:fallback]", "model": [DOWN_MODEL]},
            "respond": {"text": "unreachable"},
            "fault": {"kind": "status", "status": 503, "message": "primary model is down"},
        },
    ]
    for status in (400, 403):
        rules.append(
            {
                "id": f"workbench-readiness-client-{status}",
                "when": {"user": f"[readiness:client-{status}]", "model": [CLIENT_ERROR_MODEL]},
                "respond": {"text": RETRIED_CLIENT_ERROR},
                "fault": {"kind": "status", "status": status, "fail_first": 1},
            }
        )
    if tools:
        rules += _tool_rules("tool-hang", tools[0])
        rules += _tool_rules("tool-down", tools[1] if len(tools) > 1 else tools[0])
    for tool in gated or []:
        rules += _tool_rules(approval_kind(tool.name), tool)
    if tools:
        rules += _loop_rules(loop_tool(tools))
    rules.append(
        {
            "id": "workbench-readiness-any",
            "when": {"user": {"regex": r"\[readiness:[a-z0-9-]+\]"}},
            "respond": {"text": FALLBACK_OK},
        }
    )
    return rules

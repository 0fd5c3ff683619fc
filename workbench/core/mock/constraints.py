"""What a request allows the answer to be: ``tool_choice`` and ``response_format``.

A rule's answer passes through ``Constraints.shape``: tool calls the request does not allow
are dropped (the rule's ``without_tools`` text answers instead, else its ``text``, else the
rule does not apply and the next one is tried); a forced tool call the rule does not make is
made with the rule's ``forced_arguments`` or arguments generated from the tool's schema; and
when JSON is asked for, the content is the rule's ``json_output``, its text if that is JSON
(and fits the schema), or a value generated from the schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from workbench.core.mock.schema import Respond
from workbench.core.mock.schema_values import example, is_valid
from workbench.core.mock.templating import render

ToolMode = Literal["none", "auto", "required", "named"]


def call_id(request_hash: str, index: int) -> str:
    """The id of the ``index``-th tool call answering a request (stable per request)."""
    return "call_" + hashlib.sha256(f"{request_hash}:{index}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ToolPolicy:
    """The functions a request offers and how ``tool_choice`` lets the answer use them."""

    offered: dict[str, dict] = field(default_factory=dict)
    mode: ToolMode = "none"
    named: str | None = None
    parallel: bool = True

    @classmethod
    def of(cls, body: dict) -> ToolPolicy:
        """Read ``tools``, ``tool_choice`` and ``parallel_tool_calls`` of a (valid) chat body."""
        offered = {
            spec["name"]: spec
            for tool in body.get("tools") or []
            if isinstance(tool, dict) and tool.get("type", "function") == "function"
            for spec in [tool.get("function") or {}]
            if spec.get("name")
        }
        choice = body.get("tool_choice")
        parallel = body.get("parallel_tool_calls") is not False
        if not offered or choice == "none":
            return cls(offered, "none", None, parallel)
        if isinstance(choice, dict) and choice.get("type") == "function":
            return cls(offered, "named", (choice.get("function") or {}).get("name"), parallel)
        if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
            allowed = choice.get("allowed_tools") or {}
            names = {(t.get("function") or {}).get("name") for t in allowed.get("tools") or []}
            kept = {name: spec for name, spec in offered.items() if name in names}
            mode: ToolMode = "required" if allowed.get("mode") == "required" else "auto"
            return cls(kept, mode, None, parallel)
        return cls(offered, "required" if choice == "required" else "auto", None, parallel)


@dataclass(frozen=True)
class JsonFormat:
    """The JSON a request asks for: any JSON object, or a value valid against ``schema``."""

    kind: Literal["json_object", "json_schema"]
    schema: dict | None = None

    @classmethod
    def of(cls, body: dict) -> JsonFormat | None:
        """Read ``response_format`` of a (valid) chat body; None for plain text."""
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_object":
            return cls("json_object")
        if fmt.get("type") == "json_schema":
            return cls("json_schema", (fmt.get("json_schema") or {}).get("schema") or {})
        return None


@dataclass(frozen=True)
class Constraints:
    """Everything a request says about the shape of its answer."""

    tools: ToolPolicy = field(default_factory=ToolPolicy)
    json_format: JsonFormat | None = None

    @classmethod
    def of(cls, body: dict) -> Constraints:
        """The constraints of a (valid) chat body."""
        return cls(ToolPolicy.of(body), JsonFormat.of(body))

    def shape(
        self, respond: Respond, message: dict, variables: dict, request_hash: str
    ) -> tuple[dict, str] | None:
        """The allowed message and its finish reason, or None when the rule cannot answer."""
        policy = self.tools
        wanted = message.get("tool_calls") or []
        calls = [c for c in wanted if c["function"]["name"] in policy.offered]
        if policy.mode == "none":
            calls = []
        elif policy.mode == "named":
            calls = [c for c in calls if c["function"]["name"] == policy.named][:1]
            if not calls:
                calls = [self._forced(str(policy.named), respond, variables, request_hash)]
        elif policy.mode == "required" and not calls:
            preferred = [name for name in respond.forced_arguments if name in policy.offered]
            name = (preferred or list(policy.offered))[0]
            calls = [self._forced(name, respond, variables, request_hash)]
        if not policy.parallel:
            calls = calls[:1]
        shaped = {key: value for key, value in message.items() if key != "tool_calls"}
        if calls:
            shaped["tool_calls"] = calls
            if policy.mode in ("required", "named"):
                # A forced call is all the API answers: no text beside it.
                shaped["content"] = None
            # The API answers a call forced by name with finish_reason "stop".
            finish = "stop" if policy.mode == "named" else "tool_calls"
            return shaped, _explicit(respond, finish)
        if wanted and respond.without_tools is not None:
            shaped["content"] = render(respond.without_tools, variables)
        if shaped.get("content") is None and respond.json_output is None:
            return None
        if self.json_format is not None:
            shaped["content"] = self._json(respond, shaped.get("content"), variables, request_hash)
        elif shaped.get("content") is None:
            rendered = render(respond.json_output, variables)
            shaped["content"] = json.dumps(rendered, ensure_ascii=False)
        return shaped, _explicit(respond, "stop")

    def _forced(self, name: str, respond: Respond, variables: dict, request_hash: str) -> dict:
        given = respond.forced_arguments.get(name)
        schema = self.tools.offered.get(name, {}).get("parameters") or {}
        if given is not None:
            arguments = render(given, variables)
        else:
            arguments = example(schema, text=str(variables.get("user", "")), key=request_hash)
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        return {
            "id": call_id(request_hash, 0),
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }

    def _json(self, respond: Respond, text: str | None, variables: dict, key: str) -> str:
        fmt = self.json_format
        assert fmt is not None
        candidates: list[Any] = []
        if respond.json_output is not None:
            candidates.append(render(respond.json_output, variables))
        with contextlib.suppress(json.JSONDecodeError):
            candidates.append(json.loads(text or ""))
        for value in candidates:
            if fmt.kind == "json_object" and isinstance(value, dict):
                return json.dumps(value, ensure_ascii=False)
            if fmt.kind == "json_schema" and is_valid(value, fmt.schema):
                return json.dumps(value, ensure_ascii=False)
        if fmt.kind == "json_object":
            return json.dumps({"answer": text or ""}, ensure_ascii=False)
        return json.dumps(example(fmt.schema, text=text or "", key=key), ensure_ascii=False)


def _explicit(respond: Respond, computed: str) -> str:
    # A rule's own "length" or "content_filter" wins; "stop"/"tool_calls" follow the answer.
    if respond.finish_reason in ("length", "content_filter"):
        return respond.finish_reason
    return computed

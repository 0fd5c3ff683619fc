"""Choosing a rule for a chat request and turning its response into an assistant message."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from workbench.core.mock.constraints import Constraints, call_id
from workbench.core.mock.draws import unit
from workbench.core.mock.loader import RuleBook
from workbench.core.mock.schema import Range, Respond, Rule, TextMatch, When
from workbench.core.mock.templating import render

FALLBACK_TEXT = (
    "I'm the workbench's mock model, and none of this project's mocks/ rules matched "
    "your message. Add a rule (see docs/mock-rules.md) to answer it."
)
FALLBACK_ID = "(builtin-fallback)"
FALLBACK = Respond(text=FALLBACK_TEXT)


def content_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


@dataclass
class Conversation:
    """The facts about a chat request that rules match on."""

    model: str
    system: str
    user: str
    tool_results: list[tuple[str, str]]
    turn: int
    step: int
    tools_offered: set[str]

    @classmethod
    def of(cls, body: dict) -> Conversation:
        """Read the facts from an OpenAI chat-completions request body."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        system = "\n".join(
            content_text(m.get("content"))
            for m in messages
            if m.get("role") in ("system", "developer")
        )
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        names: dict[str, str] = {}
        for message in messages:
            for call in message.get("tool_calls") or []:
                names[call.get("id", "")] = (call.get("function") or {}).get("name", "")
        results = [
            (
                m.get("name") or names.get(m.get("tool_call_id", ""), ""),
                content_text(m.get("content")),
            )
            for m in messages[last_user + 1 :]
            if m.get("role") in ("tool", "function")
        ]
        offered = {
            (tool.get("function") or {}).get("name", "")
            for tool in body.get("tools") or []
            if isinstance(tool, dict)
        }
        return cls(
            model=str(body.get("model", "")),
            system=system,
            user=content_text(messages[last_user].get("content")) if last_user >= 0 else "",
            tool_results=results,
            turn=sum(1 for m in messages if m.get("role") == "assistant"),
            step=sum(1 for m in messages[last_user + 1 :] if m.get("role") == "assistant"),
            tools_offered=offered,
        )

    @property
    def last_tool(self) -> str | None:
        """The tool whose result is the latest message of this turn, if any."""
        return self.tool_results[-1][0] if self.tool_results else None


def _text_matches(condition: TextMatch | None, text: str, captures: dict[str, Any]) -> bool:
    if condition is None:
        return True
    folded = text.casefold() if condition.ignore_case else text

    def norm(needle: str) -> str:
        return needle.casefold() if condition.ignore_case else needle

    if any(norm(needle) not in folded for needle in condition.contains):
        return False
    if condition.any_of and not any(norm(needle) in folded for needle in condition.any_of):
        return False
    if any(norm(needle) in folded for needle in condition.none_of):
        return False
    pattern = condition.compiled()
    if pattern is not None:
        match = pattern.search(text)
        if match is None:
            return False
        captures.update({k: v for k, v in match.groupdict().items() if v is not None})
        captures.setdefault("_groups", match.groups())
    return True


def _in_range(spec: int | Range | None, value: int) -> bool:
    if spec is None:
        return True
    if isinstance(spec, int):
        return value == spec
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def matches(when: When, convo: Conversation) -> dict[str, Any] | None:
    """The captures if ``convo`` satisfies ``when``, else None."""
    captures: dict[str, Any] = {}
    if when.tool_results is not None and when.tool_results != bool(convo.tool_results):
        return None
    if when.last_tool is not None and convo.last_tool not in when.last_tool:
        return None
    if not (_in_range(when.turn, convo.turn) and _in_range(when.step, convo.step)):
        return None
    if when.model is not None and not any(
        fnmatch.fnmatchcase(convo.model.casefold(), pattern.casefold()) for pattern in when.model
    ):
        return None
    if when.tools_offered is not None and not set(when.tools_offered) <= convo.tools_offered:
        return None
    user_captures: dict[str, Any] = {}
    if not _text_matches(when.user, convo.user, user_captures):
        return None
    numbered = user_captures.pop("_groups", ())
    captures.update({str(i): v for i, v in enumerate(numbered, start=1) if v is not None})
    captures.update(user_captures)
    if not _text_matches(when.system, convo.system, captures):
        return None
    last_result = convo.tool_results[-1][1] if convo.tool_results else ""
    if when.tool_result is not None and not (
        convo.tool_results and _text_matches(when.tool_result, last_result, captures)
    ):
        return None
    captures.pop("_groups", None)
    return captures


@dataclass
class Decision:
    """What the mock answers: the rule, the assistant message and the rule's extras."""

    rule: Rule | None
    message: dict[str, Any]
    finish_reason: str
    usage: dict[str, int] = field(default_factory=dict)
    branch: int | None = None

    @property
    def rule_id(self) -> str:
        """The id of the rule that answered (or the builtin fallback's)."""
        return self.rule.id if self.rule else FALLBACK_ID


def decide(
    book: RuleBook,
    body: dict,
    request_hash: str,
    seed: int | str = 0,
    constraints: Constraints | None = None,
) -> Decision:
    """Try the rules in order and build the first matching rule's answer.

    With ``constraints`` (what the request's ``tool_choice`` and ``response_format``
    allow), a rule whose answer cannot be shaped to fit is passed over.
    """
    convo = Conversation.of(body)
    for rule in book.rules:
        captures = matches(rule.when, convo)
        if captures is None:
            continue
        respond, branch = rule.respond, None
        if rule.random:
            draw = unit(seed, rule.random[0].seed, rule.id, request_hash)
            cumulative = 0.0
            for index, candidate in enumerate(rule.random):
                cumulative += candidate.probability
                if draw < cumulative:
                    respond, branch = candidate.respond, index
                    break
        variables = {
            "user": convo.user,
            "model": convo.model,
            "last_tool": convo.last_tool or "",
            "tool_result": convo.tool_results[-1][1] if convo.tool_results else "",
            "turn": convo.turn,
            "step": convo.step,
            **captures,
        }
        decision = _build(rule, respond, variables, request_hash, branch)
        if constraints is None:
            return decision
        shaped = constraints.shape(respond, decision.message, variables, request_hash)
        if shaped is not None:
            decision.message, decision.finish_reason = shaped
            return decision
    fallback = Decision(None, {"role": "assistant", "content": FALLBACK_TEXT}, "stop")
    if constraints is not None:
        variables = {"user": convo.user, "model": convo.model}
        shaped = constraints.shape(FALLBACK, fallback.message, variables, request_hash)
        assert shaped is not None  # the fallback always has text
        fallback.message, fallback.finish_reason = shaped
    return fallback


def _build(
    rule: Rule, respond: Respond, variables: dict, request_hash: str, branch: int | None
) -> Decision:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if respond.text is not None:
        message["content"] = render(respond.text, variables)
    calls = []
    for index, call in enumerate(respond.tool_calls):
        arguments = render(call.arguments, variables)
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        calls.append(
            {
                "id": call_id(request_hash, index),
                "type": "function",
                "function": {"name": render(call.name, variables), "arguments": arguments},
            }
        )
    if calls:
        message["tool_calls"] = calls
    finish = respond.finish_reason or ("tool_calls" if calls else "stop")
    usage = respond.usage.model_dump(exclude_none=True) if respond.usage else {}
    return Decision(rule, message, finish, usage, branch)

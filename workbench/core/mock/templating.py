"""``${name}`` placeholders in rule responses, filled from regex captures and the request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workbench.core.mock.schema import Respond, Rule

PLACEHOLDER = re.compile(r"\$\{(\w+)(?::(str|int|float))?\}")
# Names every rule may use besides its own regex groups.
BUILTINS = frozenset({"user", "model", "last_tool", "tool_result", "turn", "step"})
_CONVERT = {"str": str, "int": int, "float": float}


def render(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with placeholders filled in, recursively; a lone ``${x:int}`` becomes a number."""
    if isinstance(value, dict):
        return {key: render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole and whole.group(2):
        raw = variables.get(whole.group(1))
        try:
            return _CONVERT[whole.group(2)](raw)
        except (TypeError, ValueError):
            return raw
    return PLACEHOLDER.sub(lambda match: _text(variables.get(match.group(1))), value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def names_in(value: Any) -> Iterator[tuple[str, str]]:
    """Every placeholder name in ``value``, with the text it appears in."""
    if isinstance(value, dict):
        for item in value.values():
            yield from names_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from names_in(item)
    elif isinstance(value, str):
        for match in PLACEHOLDER.finditer(value):
            yield match.group(1), value


def _respond_values(respond: Respond) -> list[Any]:
    return [
        respond.text,
        [[call.name, call.arguments] for call in respond.tool_calls],
        respond.without_tools,
        respond.json_output,
        respond.forced_arguments,
    ]


def unknown_placeholders(rule: Rule) -> list[tuple[str, str]]:
    """Placeholders that name neither a builtin nor a group of one of the rule's regexes."""
    known = set(BUILTINS)
    for condition in (rule.when.user, rule.when.system, rule.when.tool_result):
        pattern = condition.compiled() if condition else None
        if pattern is not None:
            known |= set(pattern.groupindex)
            # Numbered groups (``${1}``) come from the user-message regex only.
            if condition is rule.when.user:
                known |= {str(number) for number in range(1, pattern.groups + 1)}
    responds = [rule.respond, *(branch.respond for branch in rule.random)]
    found = [pair for respond in responds for pair in names_in(_respond_values(respond))]
    return [(name, text) for name, text in found if name not in known]

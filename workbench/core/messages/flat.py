"""Reading message lists spread over indexed attribute keys (``prefix.N.field...``).

OpenInference and OpenLLMetry/Traceloop flatten each message into keys such as
``llm.input_messages.0.message.role`` or ``gen_ai.prompt.0.tool_calls.1.name``.
``unflatten`` rebuilds the nested values (lists where the keys are indices).
"""

from __future__ import annotations

from typing import Any


def unflatten(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The items under ``prefix.N.``, in index order, each as a nested dict."""
    start = prefix + "."
    items: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(start):
            continue
        index, _, rest = key[len(start) :].partition(".")
        if not index.isdigit() or not rest:
            continue
        node = items.setdefault(int(index), {})
        path = rest.split(".")
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return [_lists(items[index]) for index in sorted(items)]


def _lists(node: Any) -> Any:
    """Dicts whose keys are all indices become lists, in index order."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted

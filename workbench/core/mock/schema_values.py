"""A deterministic JSON value valid against a JSON schema (for forced tool calls and JSON output).

Covers what tool ``parameters`` and structured-output schemas use: ``$ref``/``$defs``,
``anyOf``/``oneOf``/``allOf``, ``enum``/``const``, objects, arrays, strings (length limits
and common formats), numbers with bounds, booleans and null. The caller checks the result
with ``jsonschema``; ``pattern`` is the one keyword this cannot honour in general.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from workbench.core.mock.draws import unit

FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}
# String fields that carry the answer itself get the rule's text.
TEXT_FIELDS = frozenset(
    {"answer", "text", "content", "message", "reply", "response", "summary", "output", "result"}
)
MAX_DEPTH = 8


def example(schema: Any, *, text: str = "", key: str = "") -> Any:
    """A value valid against ``schema`` where possible; the same inputs give the same value."""
    return _Builder(schema if isinstance(schema, dict) else {}, text, key).value(
        schema if isinstance(schema, dict) else {}, "", 0
    )


def is_valid(value: Any, schema: Any) -> bool:
    """Whether ``value`` satisfies ``schema`` (an empty or missing schema accepts anything)."""
    if not isinstance(schema, dict):
        return True
    return Draft202012Validator(schema).is_valid(value)


class _Builder:
    def __init__(self, root: dict, text: str, key: str) -> None:
        self.root, self.text, self.key = root, text, key

    def resolve(self, node: Any) -> dict:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < MAX_DEPTH:
            target: Any = self.root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        return node if isinstance(node, dict) else {}

    def value(self, node: Any, name: str, depth: int) -> Any:
        node = self.resolve(node if isinstance(node, dict) else {})
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            options = node["enum"]
            return options[int(unit(self.key, name, "enum") * len(options))]
        if "default" in node and is_valid(node["default"], node):
            return node["default"]
        for key in ("anyOf", "oneOf"):
            if node.get(key):
                options = [self.resolve(o) for o in node[key]]
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                return self.value(chosen, name, depth + 1)
        if node.get("allOf"):
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                part = self.resolve(part)
                merged["properties"] = {
                    **merged.get("properties", {}),
                    **part.get("properties", {}),
                }
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in merged})
            return self.value(merged, name, depth + 1)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else "string"
        if depth >= MAX_DEPTH:
            return (
                None
                if kind == "null"
                else {"object": {}, "array": []}.get(kind, self.leaf(kind, node, name))
            )
        if kind == "object":
            properties = node.get("properties") or {}
            return {prop: self.value(child, prop, depth + 1) for prop, child in properties.items()}
        if kind == "array":
            count = max(int(node.get("minItems") or 0), 1)
            if node.get("maxItems") is not None:
                count = min(count, int(node["maxItems"]))
            prefix = node.get("prefixItems") or []
            items = [self.value(p, name, depth + 1) for p in prefix[:count]]
            while len(items) < count:
                items.append(
                    self.value(node.get("items") or {}, f"{name}[{len(items)}]", depth + 1)
                )
            return items
        return self.leaf(kind, node, name)

    def leaf(self, kind: str, node: dict, name: str) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return unit(self.key, name, "bool") < 0.5
        if kind in ("integer", "number"):
            return self.number(kind, node, name)
        text = FORMATS.get(node.get("format", ""))
        if text is None:
            text = (
                self.text
                if (name.lower() in TEXT_FIELDS and self.text)
                else f"sample {name}".strip()
            )
        low, high = int(node.get("minLength") or 0), node.get("maxLength")
        if len(text) < low:
            text = (text + " " + "x" * low)[: max(low, len(text))]
        if high is not None:
            text = text[: int(high)]
        return text

    def number(self, kind: str, node: dict, name: str) -> int | float:
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        low = 0 if low is None else low
        high = low + 100 if high is None else high
        if "exclusiveMinimum" in node and "minimum" not in node:
            low = low + (1 if kind == "integer" else 1e-6)
        if "exclusiveMaximum" in node and "maximum" not in node:
            high = high - (1 if kind == "integer" else 1e-6)
        step = node.get("multipleOf")
        draw = low + (high - low) * unit(self.key, name, "number")
        if step:
            draw = step * round(draw / step)
            if draw < low:
                draw += step
        if kind == "integer":
            whole = round(draw)
            return max(int(-(-low // 1)), min(whole, int(high // 1)))
        return round(draw, 4) if not step else draw

"""The text OpenAI is taken to render function tools as, which litellm counts a tool list by.

litellm's ``token_counter`` counts ``tools`` as this TypeScript-like namespace (after
jtokkit's ``TikTokenUtils``); ``workbench.core.mock.tokenizer`` counts it the same way without
importing litellm. Only the plain OpenAI shape (``{"type": "function", "function": {...}}``)
is rendered here: ``function_tools`` says None for anything else, and litellm counts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def function_tools(tools: Sequence[object]) -> list[Mapping] | None:
    """The ``function`` of each tool, or None unless every tool is a plain function tool."""
    functions = []
    for tool in tools:
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            return None
        function = tool.get("function")
        if not isinstance(function, Mapping):
            return None
        functions.append(function)
    return functions


def definitions_text(functions: Sequence[Mapping]) -> str:
    """The namespace text of ``functions`` (nameless ones are left out, as litellm does)."""
    lines = ["namespace functions {", ""]
    for function in functions:
        lines.extend(_function_lines(function))
    lines.append("} // namespace functions")
    return "\n".join(lines)


def _function_lines(function: Mapping) -> list[str]:
    name = function.get("name")
    if not name:
        return []
    description = function.get("description")
    lines = [f"// {description}"] if description else []
    parameters = function.get("parameters") or {}
    parameters = parameters if isinstance(parameters, Mapping) else {}
    properties = parameters.get("properties")
    if isinstance(properties, Mapping) and properties:
        lines += [f"type {name} = (_: {{", _object_lines(parameters, 0), "}) => any;", ""]
    else:
        lines += [f"type {name} = () => any;", ""]
    return lines


def _object_lines(parameters: Mapping, indent: int) -> str:
    properties = parameters.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return ""
    required = parameters.get("required")
    required_names = tuple(required) if isinstance(required, list) else ()
    lines = []
    for key, props in properties.items():
        description = props.get("description") if isinstance(props, Mapping) else None
        if description:
            lines.append(f"// {description}")
        optional = "" if required_names and key in required_names else "?"
        lines.append(f"{key}{optional}: {_type_text(props, indent)},")
    return "\n".join(" " * max(0, indent) + line for line in lines)


def _type_text(props: object, indent: int) -> str:
    if not isinstance(props, Mapping):
        return "any"
    kind = props.get("type")
    enum = props.get("enum")
    if kind == "string":
        return " | ".join(f'"{item}"' for item in enum) if isinstance(enum, list) else "string"
    if kind == "array":
        return f"{_type_text(props.get('items'), indent)}[]"
    if kind == "object":
        return f"{{\n{_object_lines(props, indent + 2)}\n}}"
    if kind in ("integer", "number"):
        return " | ".join(f'"{item}"' for item in enum) if isinstance(enum, list) else "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    return "any"

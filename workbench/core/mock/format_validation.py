"""Validating ``response_format`` the way the OpenAI API does: known types, usable schemas."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workbench.core.mock.api_errors import ApiError, invalid_type, invalid_value, missing

FORMAT_TYPES = ("text", "json_object", "json_schema")
SCHEMA_CACHE = 1024


def schema_problem(schema: dict) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or None (cached: agents resend their tools)."""
    return _schema_problem(json.dumps(schema, sort_keys=True, default=str))


@functools.lru_cache(maxsize=SCHEMA_CACHE)
def _schema_problem(text: str) -> str | None:
    try:
        Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as error:
        return error.message
    return None


NAME = "^[a-zA-Z0-9_-]{1,64}$"


def validate_response_format(fmt: Any, messages: list) -> None:
    """A known ``response_format``; a JSON schema that is one (and strict-clean when strict)."""
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise invalid_type("response_format", "an object", fmt)
    kind = fmt.get("type")
    if kind not in FORMAT_TYPES:
        raise invalid_value("response_format.type", kind, FORMAT_TYPES)
    if kind == "json_object":
        text = " ".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))
        if "json" not in text.lower():
            raise ApiError(
                "'messages' must contain the word 'json' in some form, to use 'response_format' "
                "of type 'json_object'.",
                param="messages",
                code=None,
            )
    if kind != "json_schema":
        return
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict):
        raise missing("response_format.json_schema")
    name = spec.get("name")
    if name is None:
        raise missing("response_format.json_schema.name")
    if not isinstance(name, str) or not re.fullmatch(NAME, name):
        raise ApiError(
            "Invalid 'response_format.json_schema.name': string does not match pattern. "
            f"Expected a string that matches the pattern '{NAME}'.",
            param="response_format.json_schema.name",
            code="invalid_value",
        )
    schema = spec.get("schema")
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise invalid_type("response_format.json_schema.schema", "an object", schema)
    problem = schema_problem(schema)
    if problem is not None:
        raise ApiError(
            f"Invalid schema for response_format '{name}': {problem}.",
            param="response_format",
            code="invalid_json_schema",
        )
    if spec.get("strict"):
        problem = strict_problem(schema)
        if problem:
            raise ApiError(
                f"Invalid schema for response_format '{name}': {problem}",
                param="response_format",
                code="invalid_json_schema",
            )


def strict_problem(schema: dict) -> str | None:
    """Why a schema cannot be used in strict mode (objects must close and require every key)."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "object" or "properties" in node:
            where = f"In context={path}, "
            if node.get("additionalProperties") is not False:
                return f"{where}'additionalProperties' is required to be supplied and to be false."
            keys = list(node.get("properties") or {})
            absent = [key for key in keys if key not in (node.get("required") or [])]
            if absent:
                return (
                    f"{where}'required' is required to be supplied and to be an array including "
                    f"every key in properties. Missing '{absent[0]}'."
                )
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                stack += [((*path, key, name), child) for name, child in value.items()]
            elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
                stack.append(((*path, key), value))
            elif key in ("anyOf", "allOf", "oneOf", "prefixItems") and isinstance(value, list):
                stack += [((*path, key, str(i)), child) for i, child in enumerate(value)]
    return None

"""Validating a chat-completions request the way the OpenAI API does (400 with ``param``)."""

from __future__ import annotations

import re
from typing import Any

from workbench.core.mock.api_errors import (
    ApiError,
    invalid_type,
    invalid_value,
    missing,
    out_of_range,
)
from workbench.core.mock.format_validation import schema_problem, validate_response_format

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
PART_TYPES = ("text", "image_url", "input_audio", "file", "refusal")
TOOL_TYPES = ("function", "custom")
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_N = 128
MAX_TOOLS = 128
MAX_STOP = 4
# Numeric fields: (low, high); None leaves that end open.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
    "n": (1, MAX_N),
    "max_tokens": (1, None),
    "max_completion_tokens": (1, None),
    "top_logprobs": (0, 20),
}
INTEGERS = ("n", "max_tokens", "max_completion_tokens", "top_logprobs", "seed")
BOOLEANS = ("stream", "logprobs", "parallel_tool_calls", "store")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_chat(body: Any) -> None:
    """Raise ``ApiError`` for the first problem the API would report in ``body``."""
    if not isinstance(body, dict):
        raise ApiError("The request body must be a JSON object.", code="invalid_type")
    if not body.get("model"):
        raise ApiError("you must provide a model parameter", param="model")
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    if "messages" not in body:
        raise missing("messages")
    _scalars(body)
    validate_messages(body["messages"])
    tools = validate_tools(body.get("tools"))
    validate_tool_choice(body, tools)
    validate_stop(body.get("stop"))
    validate_response_format(body.get("response_format"), body["messages"])
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise ApiError(
            "Invalid 'top_logprobs': 'logprobs' must be set to true to use 'top_logprobs'.",
            param="top_logprobs",
            code="invalid_value",
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        raise ApiError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )


def _scalars(body: dict) -> None:
    for name in INTEGERS:
        value = body.get(name)
        if value is not None and not _is_int(value):
            raise invalid_type(name, "an integer", value)
    for name in BOOLEANS:
        value = body.get(name)
        if value is not None and not isinstance(value, bool):
            raise invalid_type(name, "a boolean", value)
    for name, (low, high) in RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if not _is_number(value):
            raise invalid_type(name, "a number", value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise out_of_range(name, value, low, high)
    bias = body.get("logit_bias")
    if bias is not None:
        if not isinstance(bias, dict):
            raise invalid_type("logit_bias", "an object", bias)
        for token, weight in bias.items():
            if not _is_number(weight) or not -100 <= weight <= 100:
                raise ApiError(
                    f"Invalid 'logit_bias': the bias for token {token} must be between -100 "
                    "and 100.",
                    param="logit_bias",
                    code="invalid_value",
                )


def validate_messages(messages: Any) -> None:
    """Every message: an object with a known role and the fields that role needs."""
    if not isinstance(messages, list):
        raise invalid_type("messages", "an array", messages)
    if not messages:
        raise ApiError(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            param="messages",
            code="empty_array",
        )
    pending: set[str] = set()
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise invalid_type(where, "an object", message)
        role = message.get("role")
        if role is None:
            raise missing(f"{where}.role")
        if role not in ROLES:
            raise invalid_value(f"{where}.role", role, ROLES)
        content = message.get("content")
        if role in ("system", "developer", "user", "tool") and "content" not in message:
            raise missing(f"{where}.content")
        if content is not None:
            _content(where, role, content)
        elif role in ("system", "developer", "user"):
            raise invalid_type(f"{where}.content", "a string or an array", content)
        if role == "assistant":
            pending = _tool_calls(where, message.get("tool_calls"))
            if (
                content is None
                and not message.get("tool_calls")
                and not message.get("function_call")
            ):
                raise missing(f"{where}.content")
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise missing(f"{where}.tool_call_id")
            if not isinstance(call_id, str):
                raise invalid_type(f"{where}.tool_call_id", "a string", call_id)
            if call_id not in pending:
                raise ApiError(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"{where}.role",
                    code=None,
                )


def _tool_calls(where: str, calls: Any) -> set[str]:
    """The ids of an assistant message's tool calls, each checked for the API's shape."""
    if calls is None:
        return set()
    if not isinstance(calls, list):
        raise invalid_type(f"{where}.tool_calls", "an array", calls)
    ids = set()
    for number, call in enumerate(calls):
        spot = f"{where}.tool_calls[{number}]"
        if not isinstance(call, dict):
            raise invalid_type(spot, "an object", call)
        function = call.get("function")
        if not isinstance(function, dict):
            raise missing(f"{spot}.function")
        for key, value in (("id", call.get("id")), ("function.name", function.get("name"))):
            if value is None:
                raise missing(f"{spot}.{key}")
            if not isinstance(value, str):
                raise invalid_type(f"{spot}.{key}", "a string", value)
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            raise invalid_type(f"{spot}.function.arguments", "a string", arguments)
        ids.add(call["id"])
    return ids


def _content(where: str, role: str, content: Any) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array", content)
    for number, part in enumerate(content):
        spot = f"{where}.content[{number}]"
        if not isinstance(part, dict):
            raise invalid_type(spot, "an object", part)
        kind = part.get("type")
        if kind not in PART_TYPES:
            raise invalid_value(f"{spot}.type", kind, PART_TYPES)
        if kind == "text" and not isinstance(part.get("text"), str):
            raise missing(f"{spot}.text")


def validate_tools(tools: Any) -> dict[str, dict]:
    """The offered functions by name (``{}`` without tools); a malformed tool is a 400."""
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise invalid_type("tools", "an array", tools)
    if len(tools) > MAX_TOOLS:
        raise ApiError(
            f"Invalid 'tools': array too long. Expected an array with maximum length {MAX_TOOLS}, "
            f"but got an array with length {len(tools)} instead.",
            param="tools",
            code="array_above_max_length",
        )
    offered: dict[str, dict] = {}
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise invalid_type(where, "an object", tool)
        kind = tool.get("type")
        if kind is None:
            raise missing(f"{where}.type")
        if kind not in TOOL_TYPES:
            raise invalid_value(f"{where}.type", kind, TOOL_TYPES)
        spec = tool.get(kind)
        if not isinstance(spec, dict):
            raise missing(f"{where}.{kind}")
        name = spec.get("name")
        if name is None:
            raise missing(f"{where}.{kind}.name")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise ApiError(
                f"Invalid '{where}.{kind}.name': string does not match pattern. Expected a "
                f"string that matches the pattern '{TOOL_NAME.pattern}'.",
                param=f"{where}.{kind}.name",
                code="invalid_value",
            )
        if kind == "function":
            _parameters(f"{where}.function.parameters", spec.get("parameters"))
            offered[name] = spec
    return offered


def _parameters(where: str, schema: Any) -> None:
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise invalid_type(where, "an object", schema)
    problem = schema_problem(schema)
    if problem is not None:
        raise ApiError(
            f"Invalid schema for function '{where}': {problem}.",
            param=where,
            code="invalid_function_parameters",
        )


def validate_tool_choice(body: dict, offered: dict[str, dict]) -> None:
    """``tool_choice`` is a known mode, or names a function that ``tools`` offers."""
    choice = body.get("tool_choice")
    if body.get("parallel_tool_calls") is not None and not body.get("tools"):
        raise ApiError(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
            "when 'tools' are specified.",
            param="parallel_tool_calls",
            code=None,
        )
    if choice is None:
        return
    if not body.get("tools") and choice != "none":
        raise ApiError(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            param="tool_choice",
            code=None,
        )
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise invalid_value("tool_choice", choice, ("none", "auto", "required"))
        return
    if not isinstance(choice, dict):
        raise invalid_type("tool_choice", "a string or an object", choice)
    kind = choice.get("type")
    if kind == "allowed_tools":
        allowed = choice.get("allowed_tools")
        if not isinstance(allowed, dict):
            raise missing("tool_choice.allowed_tools")
        if allowed.get("mode") not in ("auto", "required"):
            raise invalid_value(
                "tool_choice.allowed_tools.mode", allowed.get("mode"), ("auto", "required")
            )
        listed = allowed.get("tools")
        if not isinstance(listed, list) or not all(
            isinstance(t, dict) and isinstance(t.get("function"), dict) for t in listed
        ):
            raise invalid_type("tool_choice.allowed_tools.tools", "an array of tools", listed)
        names = [t["function"].get("name") for t in listed]
    elif kind == "function":
        function = choice.get("function")
        if not isinstance(function, dict) or function.get("name") is None:
            raise missing("tool_choice.function.name")
        if not isinstance(function["name"], str):
            raise invalid_type("tool_choice.function.name", "a string", function["name"])
        names = [function["name"]]
    else:
        raise invalid_value("tool_choice.type", kind, ("function", "allowed_tools"))
    for name in names:
        if name not in offered:
            raise ApiError(
                f"Invalid value for 'tool_choice': function '{name}' is not one of the "
                "functions in 'tools'.",
                param="tool_choice",
                code="invalid_value",
            )


def validate_stop(stop: Any) -> None:
    """``stop``: a string or up to four strings."""
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise invalid_type("stop", "a string or an array of strings", stop)
    if len(stop) > MAX_STOP:
        raise ApiError(
            f"Invalid 'stop': array too long. Expected an array with maximum length {MAX_STOP}, "
            f"but got an array with length {len(stop)} instead.",
            param="stop",
            code="array_above_max_length",
        )

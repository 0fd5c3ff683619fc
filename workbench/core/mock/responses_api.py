"""``/v1/responses``: the Responses API, answered by the chat pipeline and converted back.

A request becomes a chat-completions body (``instructions`` -> a system message, ``input``
items -> messages, flat function tools -> chat tools, ``text.format`` -> ``response_format``,
``max_output_tokens`` -> ``max_completion_tokens``); its answer becomes a ``response``
object whose ``output`` holds a message item and/or function-call items.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from workbench.core.mock.api_errors import ApiError, invalid_type, invalid_value, missing

ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning")
ROLES = ("user", "system", "developer", "assistant")
TEXT_PARTS = ("input_text", "output_text", "text", "refusal")
MIN_OUTPUT_TOKENS = 16
# Chat parameters that mean the same in both APIs.
SHARED = ("model", "temperature", "top_p", "parallel_tool_calls", "stream", "seed")
# How a chat-request parameter is named in a Responses request (for error messages).
PARAM_NAMES = {
    "messages": "input",
    "response_format.json_schema": "text.format",
    "response_format": "text.format",
    "max_completion_tokens": "max_output_tokens",
}
KEPT_RESPONSES = 256


class ResponseStore:
    """The last few answers' conversations, so ``previous_response_id`` can continue them."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, list[dict]] = OrderedDict()

    def save(self, response_id: str, messages: list[dict]) -> None:
        """Remember the conversation up to and including the answer ``response_id``."""
        self._items[response_id] = messages
        self._items.move_to_end(response_id)
        while len(self._items) > KEPT_RESPONSES:
            self._items.popitem(last=False)

    def load(self, response_id: str) -> list[dict]:
        """The conversation of an earlier answer; 404 like the API when it is unknown."""
        if response_id not in self._items:
            raise ApiError(
                f"Previous response with id '{response_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
                status=404,
            )
        return list(self._items[response_id])


def chat_param(param: str | None) -> str | None:
    """A chat-request ``param`` renamed to what the Responses request called it."""
    if param is None:
        return None
    for chat, responses in PARAM_NAMES.items():
        if param == chat or param.startswith((chat + "[", chat + ".")):
            return responses + param[len(chat) :]
    return param


def to_chat(body: Any, store: ResponseStore) -> dict[str, Any]:
    """The chat-completions body equivalent to a Responses request."""
    if not isinstance(body, dict):
        raise ApiError("The request body must be a JSON object.", code="invalid_type")
    if not body.get("model"):
        raise ApiError("you must provide a model parameter", param="model")
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    if not isinstance(body.get("text") or {}, dict):
        raise invalid_type("text", "an object", body["text"])
    if "input" not in body and not body.get("previous_response_id"):
        raise missing("input")
    messages: list[dict] = []
    if body.get("previous_response_id"):
        messages = [m for m in store.load(body["previous_response_id"]) if m["role"] != "system"]
    if body.get("instructions"):
        messages.insert(0, {"role": "system", "content": str(body["instructions"])})
    messages += _messages(body.get("input"))
    chat: dict[str, Any] = {key: body[key] for key in SHARED if body.get(key) is not None}
    chat["messages"] = messages
    tools = _tools(body.get("tools"))
    if tools:
        chat["tools"] = tools
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    if choice is not None and (tools or choice == "none"):
        chat["tool_choice"] = choice
    fmt = ((body.get("text") or {}).get("format")) or None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = {key: fmt[key] for key in ("name", "schema", "strict", "description") if key in fmt}
        chat["response_format"] = {"type": "json_schema", "json_schema": spec}
    elif fmt is not None:
        chat["response_format"] = fmt
    limit = body.get("max_output_tokens")
    if limit is not None:
        if isinstance(limit, int) and not isinstance(limit, bool) and limit < MIN_OUTPUT_TOKENS:
            raise ApiError(
                "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
                f"{MIN_OUTPUT_TOKENS}, but got {limit} instead.",
                param="max_output_tokens",
                code="integer_below_min_value",
            )
        chat["max_completion_tokens"] = limit
    if body.get("stream") and body.get("stream_options"):
        chat["stream_options"] = body["stream_options"]
    return chat


def _messages(value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise invalid_type("input", "a string or an array", value)
    out: list[dict] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise invalid_type(where, "an object", item)
        kind = item.get("type", "message")
        if kind not in ITEM_TYPES:
            raise invalid_value(f"{where}.type", kind, ITEM_TYPES)
        if kind == "message":
            role = item.get("role")
            if role not in ROLES:
                raise invalid_value(f"{where}.role", role, ROLES)
            out.append({"role": role, "content": _text(where, item.get("content"))})
        elif kind == "function_call":
            for key in ("call_id", "name"):
                if not item.get(key):
                    raise missing(f"{where}.{key}")
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item.get("arguments") or "{}"},
            }
            if out and out[-1]["role"] == "assistant" and out[-1].get("tool_calls"):
                out[-1]["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            if not item.get("call_id"):
                raise missing(f"{where}.call_id")
            output = item.get("output")
            text = output if isinstance(output, str) else _text(where, output)
            out.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
    return out


def _text(where: str, content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array", content)
    texts = []
    for number, part in enumerate(content):
        if not isinstance(part, dict):
            raise invalid_type(f"{where}.content[{number}]", "an object", part)
        if part.get("type") in TEXT_PARTS:
            texts.append(str(part.get("text") or part.get("refusal") or ""))
    return "".join(texts)


def _tools(tools: Any) -> list[dict]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_type("tools", "an array", tools)
    out = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid_type(f"tools[{index}]", "an object", tool)
        if tool.get("type") != "function":
            continue  # hosted tools (web search, file search, ...) are never called by the mock
        if not tool.get("name"):
            raise missing(f"tools[{index}].name")
        spec = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
        out.append({"type": "function", "function": spec})
    return out


def to_response(
    completion: dict, request: dict, chat: dict, response_id: str, status: str = "completed"
) -> dict[str, Any]:
    """The ``response`` object for a chat completion answering ``request``."""
    choice = completion["choices"][0]
    message = choice.get("message") or {}
    output: list[dict] = []
    for call in message.get("tool_calls") or []:
        output.append(
            {
                "type": "function_call",
                "id": "fc_" + call["id"].removeprefix("call_"),
                "call_id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
                "status": "completed",
            }
        )
    if message.get("content") is not None or not output:
        text: dict[str, Any] = {"type": "output_text", "text": message.get("content") or ""}
        text.update({"annotations": [], "logprobs": []})
        item: dict[str, Any] = {"type": "message", "id": "msg_" + response_id.removeprefix("resp_")}
        item.update({"status": "completed", "role": "assistant", "content": [text]})
        output.insert(0, item)
    incomplete = choice.get("finish_reason") == "length"
    usage = completion.get("usage") or {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": completion.get("created") or int(time.time()),
        "status": "incomplete" if incomplete else status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": completion.get("model"),
        "output": output,
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "store": bool(request.get("store", True)),
        "temperature": request.get("temperature", 1.0),
        "text": {"format": ((request.get("text") or {}).get("format")) or {"type": "text"}},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_p": request.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": {
            "input_tokens": usage.get("prompt_tokens", 0),
            "input_tokens_details": {"cached_tokens": _detail(usage, "prompt", "cached_tokens")},
            "output_tokens": usage.get("completion_tokens", 0),
            "output_tokens_details": {
                "reasoning_tokens": _detail(usage, "completion", "reasoning_tokens")
            },
            "total_tokens": usage.get("total_tokens", 0),
        },
        "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


def _detail(usage: dict, side: str, name: str) -> int:
    # A replayed upstream answer may carry real details (or none at all).
    details = usage.get(f"{side}_tokens_details") or {}
    return int(details.get(name) or 0)


def conversation(chat: dict, response: dict) -> list[dict]:
    """The chat messages after ``response``: the request's plus the answer's."""
    messages = list(chat["messages"])
    calls = [item for item in response["output"] if item["type"] == "function_call"]
    texts = [item for item in response["output"] if item["type"] == "message"]
    content = "".join(part["text"] for item in texts for part in item["content"]) or None
    answer: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        answer["tool_calls"] = [
            {
                "id": c["call_id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for c in calls
        ]
    return [*messages, answer]

"""The mock refuses what the OpenAI API refuses: 400s (and 404s) the SDK raises as the API's."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.core.mock_sdk import LOOKUP, TOOLS, serve

MODEL = "gpt-4o-mini"
USER = [{"role": "user", "content": "hi"}]
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{}"}}
STRICT_OPEN = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    },
}


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("sdk-errors"))


# (request fields, the param the API names, a piece of its message)
BAD_REQUESTS = [
    ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role", "'robot'"),
    ({"messages": [{"content": "hi"}]}, "messages[0].role", "Missing required"),
    ({"messages": []}, "messages", "empty array"),
    ({"messages": [{"role": "user"}]}, "messages[0].content", "Missing required"),
    ({"n": 0}, "n", "below minimum value"),
    ({"n": 129}, "n", "above maximum value"),
    ({"max_tokens": -5}, "max_tokens", "below minimum value"),
    ({"max_tokens": 0}, "max_tokens", "below minimum value"),
    ({"max_completion_tokens": 0}, "max_completion_tokens", "below minimum value"),
    ({"temperature": 2.5}, "temperature", "above maximum value"),
    ({"top_p": -0.1}, "top_p", "below minimum value"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "array too long"),
    ({"top_logprobs": 2}, "top_logprobs", "'logprobs' must be set"),
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "above maximum value"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "'stream' is enabled"),
    ({"tools": [{"type": "function", "function": {}}]}, "tools[0].function.name", "Missing"),
    ({"tools": [{"type": "robot", "function": {"name": "x"}}]}, "tools[0].type", "'robot'"),
    (
        {"tools": [{"type": "function", "function": {"name": "a b"}}]},
        "tools[0].function.name",
        "pattern",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": 5}}}]},
        "tools[0].function.parameters",
        "Invalid schema",
    ),
    (
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}},
        "tool_choice",
        "'nope' is not one of the functions",
    ),
    ({"tool_choice": "required"}, "tool_choice", "only allowed when 'tools'"),
    ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice", "'sometimes'"),
    ({"parallel_tool_calls": False}, "parallel_tool_calls", "only allowed when 'tools'"),
    (
        {
            "messages": [
                *USER,
                {"role": "assistant", "tool_calls": [CALL]},
                {"role": "tool", "content": "{}"},
            ]
        },
        "messages[2].tool_call_id",
        "Missing required",
    ),
    (
        {"messages": [*USER, {"role": "tool", "tool_call_id": "call_9", "content": "{}"}]},
        "messages[1].role",
        "must be a response to a preceeding message with 'tool_calls'",
    ),
    ({"response_format": {"type": "yaml"}}, "response_format.type", "'yaml'"),
    ({"response_format": {"type": "json_object"}}, "messages", "must contain the word 'json'"),
    (
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
        "response_format.json_schema.name",
        "Missing required",
    ),
    ({"response_format": STRICT_OPEN}, "response_format", "'additionalProperties' is required"),
    ({"logit_bias": {"50256": 150}}, "logit_bias", "between -100 and 100"),
]


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    BAD_REQUESTS,
    ids=[b[1] + ":" + b[2][:20] for b in BAD_REQUESTS],
)
def test_the_sdk_raises_bad_request_with_the_apis_param(mock, fields, param, fragment):
    _server, client = mock
    request = {"model": MODEL, "messages": USER, **fields}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**request)
    error = caught.value
    assert error.status_code == 400
    assert error.body["param"] == param
    assert error.body["type"] == "invalid_request_error"
    assert fragment in error.body["message"]
    assert set(error.response.json()["error"]) == {"message", "type", "param", "code"}


def test_missing_model_and_messages_are_400s(mock):
    server, _client = mock
    url = f"{server.api_base}/chat/completions"
    no_model = httpx.post(url, json={"messages": USER}, timeout=10)
    assert no_model.status_code == 400 and "model" in no_model.json()["error"]["message"]
    no_messages = httpx.post(url, json={"model": MODEL}, timeout=10).json()["error"]
    assert (
        no_messages["param"] == "messages" and no_messages["code"] == "missing_required_parameter"
    )


def test_an_unknown_model_is_the_apis_404(mock):
    _server, client = mock
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-nope", messages=USER)
    assert caught.value.status_code == 404
    assert caught.value.body["code"] == "model_not_found"
    assert "`gpt-nope` does not exist" in caught.value.body["message"]
    # Names the rule files declare (and their globs) are served.
    for model in ("gpt-4.1-mini", "ft:gpt-4o-mini:acme:7"):
        assert client.chat.completions.create(model=model, messages=USER).choices


def test_models_lists_what_the_mock_serves(mock):
    _server, client = mock
    names = [model.id for model in client.models.list()]
    # priced_as (also the project's [models] default), the rules' literal names (not their
    # globs), then the embedding models.
    assert names == [
        MODEL,
        "gpt-4.1-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "text-embedding-ada-002",
    ]
    assert client.models.retrieve("gpt-4.1-mini").id == "gpt-4.1-mini"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-nope")


def test_a_valid_tool_round_trip_passes_validation(mock):
    _server, client = mock
    messages = [
        {"role": "user", "content": "where is order 8?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
    ]
    reply = client.chat.completions.create(model=MODEL, messages=messages, tools=[LOOKUP])
    assert reply.choices[0].message.content == "Order shipped on Monday."

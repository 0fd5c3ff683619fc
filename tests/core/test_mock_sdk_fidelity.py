"""The mock through the official ``openai`` SDK: forced calls, usage details, limits, embeddings."""

from __future__ import annotations

import json

import openai
import pytest

from tests.core.mock_sdk import LOOKUP, SEARCH, TOOLS, serve
from workbench.core.mock.limits import DEFAULT_MAX_OUTPUT_TOKENS, max_output_tokens

MODEL = "gpt-4o-mini"
NAMED = {"type": "function", "function": {"name": "search_kb"}}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    for _server, sdk in serve(tmp_path_factory.mktemp("sdk-fidelity")):
        yield sdk


def ask(client, text: str, **params):
    messages = [{"role": "user", "content": text}]
    return client.chat.completions.create(model=MODEL, messages=messages, **params)


@pytest.mark.parametrize("choice", ["required", NAMED])
def test_a_forced_tool_call_comes_without_the_rules_text(client, choice):
    # The default rule answers text only; forcing a call must not send that text along.
    reply = ask(client, "hello there", tools=[SEARCH], tool_choice=choice)
    message = reply.choices[0].message
    assert message.tool_calls and message.tool_calls[0].function.name == "search_kb"
    assert message.content is None
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "hello there"}],
        tools=[SEARCH],
        tool_choice=choice,
    ) as stream:
        streamed = [event for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert streamed == []
    assert final.choices[0].message.content is None
    assert final.choices[0].message.tool_calls[0].function.name == "search_kb"


def test_auto_keeps_a_rules_text_beside_its_calls(client):
    # Only a forced call drops text: under "auto" the rule's own answer is untouched.
    reply = ask(client, "where is order 77?", tools=TOOLS)
    assert reply.choices[0].message.tool_calls[0].function.name == "lookup_order"


def test_usage_carries_the_apis_detail_objects(client):
    usage = ask(client, "hello").usage
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.prompt_tokens_details.audio_tokens == 0
    details = usage.completion_tokens_details
    assert details.reasoning_tokens == 0 and details.audio_tokens == 0
    assert details.accepted_prediction_tokens == 0 and details.rejected_prediction_tokens == 0
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    streamed = [chunk.usage for chunk in stream if chunk.usage][-1]
    assert streamed.prompt_tokens_details.cached_tokens == 0
    assert streamed.completion_tokens_details.reasoning_tokens == 0
    assert streamed.total_tokens == usage.total_tokens
    response = client.responses.create(model=MODEL, input="hello")
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_a_token_limit_above_the_models_ceiling_is_the_apis_400(client, param):
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, "hello", **{param: 10_000_000})
    body = refused.value.body
    assert body["param"] == param and body["code"] == "invalid_value"
    assert body["message"] == (
        f"{param} is too large: 10000000. This model supports at most 16384 completion "
        "tokens, whereas you provided 10000000."
    )
    assert ask(client, "hello", **{param: 16384}).choices[0].finish_reason == "stop"
    # gpt-4.1-mini (served by the rules' models: list) has litellm's larger ceiling.
    bigger = client.chat.completions.create(
        model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}], **{param: 32768}
    )
    assert bigger.choices[0].finish_reason == "stop"


def test_responses_max_output_tokens_above_the_ceiling_names_its_own_param(client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=MODEL, input="hello", max_output_tokens=10_000_000)
    assert refused.value.body["param"] == "max_output_tokens"
    assert refused.value.body["message"].startswith("max_output_tokens is too large")


def test_the_ceiling_comes_from_litellms_map_else_the_default():
    assert max_output_tokens("gpt-4.1-mini", "gpt-4o-mini") == 32768
    assert max_output_tokens("ft:gpt-4o-mini:acme", "gpt-4o-mini") == 16384
    assert max_output_tokens("no-such-model", "no-such-either") == DEFAULT_MAX_OUTPUT_TOKENS


@pytest.mark.parametrize("choice", ["required", NAMED])
def test_a_forced_call_cut_by_max_tokens_is_a_truncated_call(client, choice):
    full = ask(client, "hello there", tools=[SEARCH], tool_choice=choice)
    short = ask(client, "hello there", tools=[SEARCH], tool_choice=choice, max_tokens=3)
    choice0 = short.choices[0]
    assert choice0.finish_reason == "length"
    assert choice0.message.content is None
    [call] = choice0.message.tool_calls
    whole = full.choices[0].message.tool_calls[0].function.arguments
    assert call.function.name == "search_kb"
    assert call.function.arguments and call.function.arguments != whole
    assert whole.startswith(call.function.arguments)
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.function.arguments)
    assert short.usage.completion_tokens == 3


def test_calls_the_budget_never_reached_are_not_made(client):
    # Two calls, a budget that ends inside the first: only the first, cut, is answered.
    reply = ask(client, "use both tools", tools=TOOLS, max_tokens=4)
    calls = reply.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["lookup_order"]
    assert reply.choices[0].finish_reason == "length"
    assert LOOKUP["function"]["name"] == calls[0].function.name


def test_embeddings_refuse_a_chat_model_as_the_api_does(client):
    for chat_model in (MODEL, "gpt-4.1-mini"):
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.embeddings.create(model=chat_model, input="hi")
        assert refused.value.status_code == 403
        assert refused.value.body["message"] == (
            "You are not allowed to generate embeddings from this model"
        )
        assert refused.value.body["type"] == "invalid_request_error"
    for embedder in ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"):
        assert client.embeddings.create(model=embedder, input="hi").data

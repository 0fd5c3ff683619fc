"""The mock through the official ``openai`` SDK: tool_choice, response_format, n, limits."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import BaseModel

from tests.core.mock_sdk import LOOKUP, SEARCH, TOOLS, serve

MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    for _server, sdk in serve(tmp_path_factory.mktemp("sdk-chat")):
        yield sdk


def ask(client, text: str, **params):
    messages = [{"role": "user", "content": text}]
    return client.chat.completions.create(model=MODEL, messages=messages, **params)


def test_auto_follows_the_rule(client):
    reply = ask(client, "where is order 77?", tools=TOOLS, tool_choice="auto")
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "77"}
    assert reply.choices[0].finish_reason == "tool_calls"


def test_none_never_calls_a_tool_and_answers_the_rules_text(client):
    reply = ask(client, "where is order 77?", tools=TOOLS, tool_choice="none")
    message = reply.choices[0].message
    assert message.tool_calls is None
    assert message.content == "I cannot look up order 77 without tools."
    assert reply.choices[0].finish_reason == "stop"


def test_no_tools_offered_means_no_tool_call(client):
    reply = ask(client, "where is order 77?")
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content == "I cannot look up order 77 without tools."


def test_a_tool_that_was_not_offered_is_never_called(client):
    # kb-only calls search_kb, which this request does not offer: the next rule answers.
    reply = ask(client, "check the knowledge base", tools=[LOOKUP])
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content == "Hello! How can I help you today?"


def test_required_always_calls_an_offered_tool_with_schema_valid_arguments(client):
    reply = ask(client, "hello there", tools=[SEARCH], tool_choice="required")
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "search_kb"
    jsonschema.validate(json.loads(call.function.arguments), SEARCH["function"]["parameters"])
    assert reply.choices[0].finish_reason == "tool_calls"


def test_a_named_function_is_exactly_the_one_called(client):
    named = {"type": "function", "function": {"name": "search_kb"}}
    reply = ask(client, "where is order 77?", tools=TOOLS, tool_choice=named)
    calls = reply.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["search_kb"]
    # The rule says which arguments to use when this tool is forced.
    assert json.loads(calls[0].function.arguments) == {"query": "order 77"}
    # Like the API, a call forced by name finishes with "stop".
    assert reply.choices[0].finish_reason == "stop"
    generated = ask(client, "hi", tools=TOOLS, tool_choice=named).choices[0].message
    arguments = json.loads(generated.tool_calls[0].function.arguments)
    jsonschema.validate(arguments, SEARCH["function"]["parameters"])


def test_parallel_tool_calls_false_keeps_one_call(client):
    both = ask(client, "use both tools", tools=TOOLS)
    assert len(both.choices[0].message.tool_calls) == 2
    one = ask(client, "use both tools", tools=TOOLS, parallel_tool_calls=False)
    assert [c.function.name for c in one.choices[0].message.tool_calls] == ["lookup_order"]


def test_json_object_is_valid_json(client):
    reply = ask(client, "answer in json: weather?", response_format={"type": "json_object"})
    assert json.loads(reply.choices[0].message.content)["city"] == "Paris"
    plain = ask(client, "answer in json: hello", response_format={"type": "json_object"})
    assert isinstance(json.loads(plain.choices[0].message.content), dict)


class Weather(BaseModel):
    city: str
    temperature_c: int
    conditions: str


class Ticket(BaseModel):
    subject: str
    priority: int
    tags: list[str]
    answer: str


def test_parse_gets_the_rules_json_when_it_fits_the_schema(client):
    messages = [{"role": "user", "content": "weather in Paris?"}]
    reply = client.chat.completions.parse(model=MODEL, messages=messages, response_format=Weather)
    assert reply.choices[0].message.parsed == Weather(
        city="Paris", temperature_c=21, conditions="sunny"
    )


def test_parse_gets_schema_valid_json_generated_when_the_rule_does_not_fit(client):
    messages = [{"role": "user", "content": "hello"}]
    reply = client.chat.completions.parse(model=MODEL, messages=messages, response_format=Ticket)
    ticket = reply.choices[0].message.parsed
    assert isinstance(ticket, Ticket)
    assert ticket.answer == "Hello! How can I help you today?"  # the rule's text, where it fits


def test_n_gives_n_choices_and_counts_all_their_tokens(client):
    one = ask(client, "hello")
    two = ask(client, "hello", n=2)
    assert [c.index for c in two.choices] == [0, 1]
    assert two.usage.completion_tokens == 2 * one.usage.completion_tokens
    assert two.usage.prompt_tokens == one.usage.prompt_tokens
    coins = {c.message.content for c in ask(client, "toss a coin", n=16).choices}
    assert coins == {"heads", "tails"}  # each choice draws its own branch


def test_max_tokens_truncates_with_finish_length(client):
    full = ask(client, "tell me a story")
    short = ask(client, "tell me a story", max_tokens=3)
    assert short.choices[0].finish_reason == "length"
    assert short.usage.completion_tokens == 3
    assert full.choices[0].message.content.startswith(short.choices[0].message.content)
    assert len(short.choices[0].message.content) < 30
    newer = ask(client, "tell me a story", max_completion_tokens=5)
    assert newer.choices[0].finish_reason == "length" and newer.usage.completion_tokens == 5


def test_stop_cuts_before_the_sequence(client):
    reply = ask(client, "tell me a story", stop=["THE END", "zzz"])
    assert reply.choices[0].message.content == (
        "Once upon a time a small mock model answered every request. It never slept. "
    )
    assert reply.choices[0].finish_reason == "stop"


def test_seed_is_deterministic_with_a_fingerprint(client):
    first = ask(client, "toss a coin", seed=5, n=4)
    again = ask(client, "toss a coin", seed=5, n=4)
    assert [c.message.content for c in first.choices] == [c.message.content for c in again.choices]
    assert first.system_fingerprint and first.system_fingerprint.startswith("fp_")
    assert first.system_fingerprint == again.system_fingerprint


def test_logprobs_have_the_apis_structure(client):
    reply = ask(client, "hello", logprobs=True, top_logprobs=3)
    entries = reply.choices[0].logprobs.content
    assert "".join(e.token for e in entries) == reply.choices[0].message.content
    for entry in entries:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 3
        assert entry.token in [t.token for t in entry.top_logprobs]
        assert entry.bytes == list(entry.token.encode())
    again = ask(client, "hello", logprobs=True, top_logprobs=3).choices[0].logprobs
    assert again == reply.choices[0].logprobs
    assert ask(client, "hello").choices[0].logprobs is None


def test_streaming_honours_n_limits_logprobs_and_usage(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "tell me a story"}],
        n=2,
        max_tokens=6,
        logprobs=True,
        stream=True,
        stream_options={"include_usage": True},
    )
    texts, finishes, usage, tokens = {0: "", 1: ""}, {}, None, 0
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            tokens += len(choice.logprobs.content) if choice.logprobs else 0
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert finishes == {0: "length", 1: "length"}
    assert texts[0] == texts[1] and texts[0].startswith("Once upon")
    assert usage.completion_tokens == 12 and tokens == 12


def test_streamed_forced_tool_call(client):
    named = {"type": "function", "function": {"name": "lookup_order"}}
    with client.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": "where is order 5?"}],
        tools=TOOLS,
        tool_choice=named,
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "5"}

"""Reading message shapes: the hybrids and the hostile inputs the fixtures do not cover."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.messages import span_messages
from workbench.core.messages.flat import unflatten
from workbench.core.messages.shapes import message_of, parse_json


def test_python_dict_text_is_read_as_data_never_shown_as_dict_text():
    content = (
        "[{'type': 'text', 'text': 'hello'}, "
        "{'type': 'tool_call', 'name': 'f', 'arguments': {'a': 1}}]"
    )
    message = message_of({"role": "user", "content": content})
    assert message.content == "hello"
    assert [(call.name, json.loads(call.arguments)) for call in message.tool_calls] == [
        ("f", {"a": 1})
    ]


def test_literal_text_is_never_evaluated_as_code():
    assert parse_json("[__import__('os').getcwd()]") == "[__import__('os').getcwd()]"


def test_deep_nesting_is_left_as_text():
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_json(deep) == deep
    # Short enough to be tried as a Python literal, too deep for its parser.
    nested = "[" * 20_000 + "]" * 20_000
    assert parse_json(nested) == nested
    assert span_messages({"gen_ai.input.messages": deep}).inputs[0].content == deep


def test_openllmetry_flat_tool_calls_and_openinference_contents():
    found = span_messages(
        {
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.tool_calls.0.name": "lookup",
            "gen_ai.completion.0.tool_calls.0.arguments": '{"id": 7}',
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.contents.0.message_content.type": "text",
            "llm.input_messages.0.message.contents.0.message_content.text": "hi there",
            "input.value": '{"messages": [{"role": "user", "content": "the catch-all"}]}',
        }
    )
    assert [(m.role, m.content) for m in found.inputs] == [("user", "hi there")]
    assert found.input_source == "openinference"
    (call,) = found.outputs[0].tool_calls
    assert (call.name, call.arguments) == ("lookup", '{"id": 7}')


def test_the_catch_all_is_read_when_nothing_else_is_there():
    found = span_messages({"input.value": "plain question", "output.value": "plain answer"})
    assert [(m.role, m.content) for m in found.inputs] == [("user", "plain question")]
    assert [(m.role, m.content) for m in found.outputs] == [("assistant", "plain answer")]


def test_unflatten_keeps_index_order_past_nine():
    attributes = {f"p.{i}.role": str(i) for i in range(12)}
    assert [item["role"] for item in unflatten(attributes, "p")] == [str(i) for i in range(12)]


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.prompt",
        "gen_ai.prompt.0.content",
        "gen_ai.prompt.0.tool_calls.0.name",
        "gen_ai.completion.1.function_call.arguments",
        "llm.input_messages.0.message.tool_calls.0.tool_call.function.name",
        "llm.output_messages.x.message.role",
        "input.value",
        "llm.openai.messages",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    attributes=st.dictionaries(_keys, _values | _values.map(json.dumps), max_size=6),
    events=st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["gen_ai.choice", "gen_ai.user.message", "x"]),
                "attributes": st.dictionaries(st.text(max_size=5), _values, max_size=3),
            }
        ),
        max_size=3,
    ),
)
def test_any_attributes_give_messages_never_an_exception(attributes, events):
    found = span_messages(attributes, events)
    for message in [*found.inputs, *found.outputs]:
        assert isinstance(message.content, str)


def test_a_tool_reply_sent_as_text_parts_reads_as_its_text():
    # OpenLLMetry 0.62 writes a tool message whose content was a list of OpenAI text
    # parts as a tool_call_response whose response is that list.
    message = message_of(
        {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": "call_1",
                    "response": [{"type": "text", "text": "12:00 CET"}],
                }
            ],
        }
    )
    assert (message.content, message.tool_call_id) == ("12:00 CET", "call_1")
    data = message_of(
        {"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"t": 18}]}]}
    )
    assert json.loads(data.content) == [{"t": 18}]


def test_litellm_text_and_tool_call_reply_keeps_its_tool_call():
    # litellm's otel callback, for a reply with text *and* a tool call (common with
    # Anthropic models): the text in gen_ai.output.messages, the call only in
    # gen_ai.completion.0.function_call.*.
    attributes = {
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "Let me check."}],
                    "finish_reason": "tool_calls",
                }
            ]
        ),
        "gen_ai.completion.0.function_call.name": "get_weather",
        "gen_ai.completion.0.function_call.arguments": '{"city": "Paris"}',
    }
    (reply,) = span_messages(attributes).outputs
    assert reply.content == "Let me check."
    assert [(call.name, call.arguments) for call in reply.tool_calls] == [
        ("get_weather", '{"city": "Paris"}')
    ]

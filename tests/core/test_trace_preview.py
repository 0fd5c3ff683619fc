"""Previews of a span's input and output from each tracing convention."""

from __future__ import annotations

from workbench.core.trace_preview import one_line, preview


def test_genai_semconv_messages_with_parts():
    attributes = {
        "gen_ai.input.messages": '[{"role":"user",'
        '"parts":[{"type":"text","content":"Hi\\n you"}]}]',
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"Yo"}]}]',
    }
    assert preview(attributes, [], "input") == "Hi you"
    assert preview(attributes, [], "output") == "Yo"


def test_openinference_value_and_flattened_messages():
    assert preview({"input.value": "plain question"}, [], "input") == "plain question"
    flat = {
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "rules",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "the question",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "the answer",
    }
    assert preview(flat, [], "input") == "the question"
    assert preview(flat, [], "output") == "the answer"


def test_traceloop_indexed_prompt_and_tool_call_reply():
    attributes = {
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "refund 7",
        "gen_ai.completion": '[{"role":"assistant","content":null,'
        '"tool_calls":[{"function":{"name":"refund"}}]}]',
    }
    assert preview(attributes, [], "input") == "refund 7"
    assert preview(attributes, [], "output") == "→ refund"


def test_events_when_no_attribute_carries_the_messages():
    events = [
        {"name": "gen_ai.user.message", "attributes": {"content": "from an event"}},
        {"name": "gen_ai.choice", "attributes": {"message": '{"content": "event reply"}'}},
    ]
    assert preview({}, events, "input") == "from an event"
    assert preview({}, events, "output") == "event reply"
    assert preview({}, [], "output") == ""


def test_one_line_cuts_long_text():
    assert one_line("a  b\n\tc") == "a b c"
    assert one_line("x" * 300, 10) == "x" * 9 + "…"


def test_openinference_response_object_in_output_value_gives_its_reply():
    # openinference-instrumentation-openai writes the whole (streamed) response as
    # output.value: its reply is the last choice's message, not the JSON.
    response = (
        '{"choices": [{"message": {"content": "the reply", "tool_calls": []},'
        ' "finish_reason": "stop"}], "model": "gpt-4o-mini"}'
    )
    assert preview({"output.value": response}, [], "output") == "the reply"
    call = (
        '{"choices": [{"message": {"content": null, "tool_calls": [{"function": {"name": "f"}}]}}]}'
    )
    assert preview({"output.value": call}, [], "output") == "→ f"


def test_a_genai_tool_call_part_previews_as_the_call():
    output = (
        '[{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "lookup",'
        ' "arguments": {"q": 1}}], "finish_reason": "tool_call"}]'
    )
    assert preview({"gen_ai.output.messages": output}, [], "output") == "→ lookup"

"""The mock's own token counts equal litellm's, and need no litellm import where they can."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.llm import import_litellm
from workbench.core.mock import sampling, tokenizer, usage

REPO_ROOT = Path(__file__).resolve().parents[2]

OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4-turbo", "gpt-3.5-turbo", "o3-mini"]
# Models litellm counts with another tokenizer, template or accounting: never on the fast path.
OTHER_MODELS = [
    "claude-3-5-haiku-20241022",
    "claude-sonnet-4-20250514",
    "deepseek-chat",
    "gpt-3.5-turbo-0301",
    "groq/llama-3.1-8b-instant",
    "openai/gpt-4o-mini",
    "ft:gpt-4o-mini-2024-07-18",
    "not-a-model-anywhere",
]

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order by its id.",
        "parameters": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "description": "The order id"},
                "fields": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "limit": {"type": "integer", "enum": [1, 2]},
                "when": {
                    "type": "object",
                    "properties": {"after": {"type": "number"}, "exact": {"type": "boolean"}},
                },
                "note": {"type": "null"},
                "extra": {"type": ["string", "null"]},
                "free": {},
            },
            "required": ["order_id"],
        },
    },
}
NO_PARAMETERS = {"type": "function", "function": {"name": "ping"}}
NAMELESS = {"type": "function", "function": {"description": "no name"}}

CONVERSATIONS = [
    [{"role": "user", "content": "Where is order 12345?"}],
    [
        {"role": "system", "content": "You are a support agent.\nBe brief."},
        {"role": "user", "content": "Wo ist meine Bestellung? 注文はどこ? 🚚"},
    ],
    [
        {"role": "user", "content": "status of 42"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_order", "arguments": '{"order_id": "42"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
    ],
    [{"role": "user", "content": "special <|endoftext|> text " + "x" * 3000}],
    [{"role": "user", "content": "named", "name": "alice"}],
    [],
]


def litellm_prompt(model: str, messages: list, tools: list | None) -> int:
    return int(import_litellm().token_counter(model=model, messages=messages, tools=tools))


@pytest.mark.parametrize("model", OPENAI_MODELS)
@pytest.mark.parametrize("index", range(len(CONVERSATIONS)))
@pytest.mark.parametrize("tools", [None, [LOOKUP], [LOOKUP, NO_PARAMETERS, NAMELESS]])
def test_prompt_counts_equal_litellms(model, index, tools):
    messages = CONVERSATIONS[index]
    ours = tokenizer.prompt_tokens(model, messages, tools)
    assert ours is not None, f"{model} should be counted without litellm"
    assert ours == litellm_prompt(model, messages, tools)


@pytest.mark.parametrize("model", OPENAI_MODELS)
def test_text_counts_and_encodings_equal_litellms(model):
    litellm = import_litellm()
    for text in ["", "hello", "a" * 5000, "x <|endoftext|> y", "Grüße 你好 🎉\n\n\t end"]:
        assert tokenizer.text_tokens(model, text) == litellm.token_counter(model=model, text=text)
        ids = tokenizer.encode(model, text)
        assert ids == list(litellm.encode(model=model, text=text))
        if ids:
            assert tokenizer.decode(model, ids) == litellm.decode(model=model, tokens=ids)


@pytest.mark.parametrize("model", OTHER_MODELS)
def test_other_models_are_left_to_litellm(model):
    """Where litellm might count otherwise, the fast path declines and usage asks litellm."""
    messages = CONVERSATIONS[2]
    assert tokenizer.prompt_tokens(model, messages, [LOOKUP]) is None
    assert tokenizer.text_tokens(model, "hello") is None
    body = {"messages": messages, "tools": [LOOKUP]}
    assert usage.prompt_tokens(model, body) == litellm_prompt(model, messages, [LOOKUP])


def test_shapes_outside_the_plain_subset_are_left_to_litellm():
    model = "gpt-4o-mini"
    parts = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert tokenizer.prompt_tokens(model, parts, None) is None
    anthropic_tool = [{"name": "lookup", "input_schema": {"type": "object"}}]
    assert tokenizer.prompt_tokens(model, CONVERSATIONS[0], anthropic_tool) is None
    broken_call = [{"role": "assistant", "tool_calls": [{"id": "x"}]}]
    assert tokenizer.prompt_tokens(model, broken_call, None) is None
    # usage still answers for each (litellm, or its text fallback), as before.
    assert usage.prompt_tokens(model, {"messages": parts}) == litellm_prompt(model, parts, None)
    assert usage.prompt_tokens(model, {"messages": broken_call}) > 0


def test_tuned_chunk_size_is_left_to_litellm(monkeypatch):
    monkeypatch.setenv("TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS", "16")
    assert tokenizer.text_tokens("gpt-4o-mini", "hello") is None


def test_completion_tokens_equal_litellms():
    litellm = import_litellm()
    message = {
        "content": "It shipped yesterday.",
        "tool_calls": [{"function": {"name": "lookup_order", "arguments": '{"order_id": "1"}'}}],
    }
    text = "It shipped yesterday.\nlookup_order\n" + '{"order_id": "1"}'
    expected = litellm.token_counter(model="gpt-4o-mini", text=text, count_response_tokens=True)
    assert usage.completion_tokens("gpt-4o-mini", message) == expected


def test_sampling_truncates_as_litellm_would():
    litellm = import_litellm()
    text = "one two three four five six seven eight nine ten"
    cut, was_cut = sampling.truncate("gpt-4o-mini", text, 4)
    ids = litellm.encode(model="gpt-4o-mini", text=text)
    assert was_cut and cut == litellm.decode(model="gpt-4o-mini", tokens=list(ids)[:4])


words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)
message_strategy = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool"]), "content": words},
    optional={"name": st.from_regex(r"[a-z]{1,8}", fullmatch=True), "tool_call_id": words},
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(message_strategy, max_size=5), with_tools=st.booleans())
def test_any_plain_conversation_counts_as_litellm(messages, with_tools):
    tools = [LOOKUP] if with_tools else None
    for model in ("gpt-4o-mini", "gpt-4-turbo"):
        assert tokenizer.prompt_tokens(model, messages, tools) == litellm_prompt(
            model, messages, tools
        )


def test_mock_turn_imports_no_litellm():
    """Serving a chat turn and an embedding on the default mock never imports litellm."""
    code = """
import sys, httpx
from workbench.core.mock import start_mock
mock = start_mock(port=0)
try:
    body = {"model": mock.options.priced_as, "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f"}}], "max_tokens": 3,
            "logprobs": True, "top_logprobs": 2}
    answer = httpx.post(mock.api_base + "/chat/completions", json=body).json()
    assert answer["usage"]["prompt_tokens"] > 0, answer
    vector = httpx.post(mock.api_base + "/embeddings",
                        json={"model": "text-embedding-3-small", "input": "hi"})
    assert vector.status_code == 200, vector.text
finally:
    mock.stop()
assert "litellm" not in sys.modules, "litellm was imported"
import os
assert "TIKTOKEN_CACHE_DIR" not in os.environ, "the mock left tiktoken's folder set"
"""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    # Importing litellm here pointed tiktoken at litellm's folder; the mock must find it itself.
    env.pop("TIKTOKEN_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_counting_a_llama_prompt_asks_no_host(tmp_path):
    """litellm fetches a Llama tokenizer from the Hugging Face Hub; the workbench counts offline.

    The child's HTTPS goes through a proxy that records every CONNECT: none arrives.
    """
    import socket
    import threading

    proxy = socket.create_server(("127.0.0.1", 0))
    asked: list[bytes] = []

    def record() -> None:
        while True:
            try:
                conn, _ = proxy.accept()
            except OSError:
                return
            with conn:
                asked.append(conn.recv(200))

    threading.Thread(target=record, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HTTPS_PROXY=url, HTTP_PROXY=url, https_proxy=url, http_proxy=url)
    code = (
        "from workbench.core.mock import usage; "
        "print(usage.prompt_tokens('groq/llama-3.1-8b-instant', "
        "{'messages': [{'role': 'user', 'content': 'hi'}]}))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        proxy.close()
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 0
    assert asked == []

"""The mock server end to end through litellm: tool calls, streaming, usage, model, models list."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from workbench.core.llm import import_litellm
from workbench.core.mock import start_mock

TOML = """
[project]
name = "demo"
package = "demo"

[agent]
entry = "demo.agents.entry:run_turn"

[mock]
priced_as = "{priced_as}"
"""

RULES = r"""
rules:
  - id: lookup
    when: {user: {regex: 'order (?P<order_id>\d+)'}, tool_results: false}
    respond:
      tool_calls:
        - name: lookup_order
          arguments: {order_id: "${order_id}"}
  - id: answer
    when: {last_tool: lookup_order, user: {regex: 'order (?P<order_id>\d+)'}}
    respond: {text: "Order ${order_id} has shipped and should arrive on Friday."}
  - id: pinned-usage
    when: {user: pinned}
    respond: {text: ok, usage: {prompt_tokens: 1000, completion_tokens: 500}}
  - id: default
    respond: {text: "Hello! How can I help you with your order today?"}
"""

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


def make_project(root: Path, rules: str, priced_as: str = "gpt-4o-mini") -> Path:
    """A minimal project folder with a workbench.toml and one rule file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "workbench.toml").write_text(TOML.format(priced_as=priced_as))
    (root / "mocks").mkdir(exist_ok=True)
    (root / "mocks" / "rules.yaml").write_text(rules)
    return root


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("proj"), RULES, priced_as="gpt-4o")
    server = start_mock(project_dir=project)
    yield server
    server.stop()


async def test_litellm_gets_tool_calls_then_a_final_answer(mock):
    litellm = import_litellm()
    messages = [{"role": "user", "content": "Where is order 12345?"}]
    first = await litellm.acompletion(
        model="openai/gpt-4o-mini",
        api_base=mock.api_base,
        api_key="mock",
        messages=messages,
        tools=TOOLS,
    )
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_id": "12345"}
    assert first.choices[0].finish_reason == "tool_calls"
    assert first.model == "gpt-4o"  # the priced-as model, so costs are meaningful
    assert first.usage.prompt_tokens > 0 and first.usage.completion_tokens > 0
    assert (
        first._hidden_params["additional_headers"]["llm_provider-x-workbench-model-source"]
        == "mock"
    )

    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"status": "shipped"}'},
    ]
    second = await litellm.acompletion(
        model="openai/gpt-4o-mini",
        api_base=mock.api_base,
        api_key="mock",
        messages=messages,
        tools=TOOLS,
    )
    assert second.choices[0].message.content.startswith("Order 12345 has shipped")
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert litellm.completion_cost(completion_response=second) > 0


async def test_litellm_streams_text_and_usage(mock):
    litellm = import_litellm()
    stream = await litellm.acompletion(
        model="openai/gpt-4o-mini",
        api_base=mock.api_base,
        api_key="mock",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello! How can I help you with your order today?"
    assert len(chunks) > 3  # really streamed in pieces
    usages = [c.usage for c in chunks if getattr(c, "usage", None)]
    assert usages and usages[-1].completion_tokens > 0


async def test_litellm_streams_tool_calls(mock):
    litellm = import_litellm()
    stream = await litellm.acompletion(
        model="openai/gpt-4o-mini",
        api_base=mock.api_base,
        api_key="mock",
        messages=[{"role": "user", "content": "status of order 987654321 please"}],
        tools=TOOLS,
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    message = litellm.stream_chunk_builder(chunks).choices[0].message
    assert message.tool_calls[0].function.name == "lookup_order"
    assert json.loads(message.tool_calls[0].function.arguments) == {"order_id": "987654321"}


def test_raw_stream_follows_the_openai_wire_format(mock):
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "order 42"}],
        "tools": TOOLS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = httpx.post(f"{mock.api_base}/chat/completions", json=body, timeout=10)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    head = chunks[1]["choices"][0]["delta"]["tool_calls"][0]
    assert head["function"]["name"] == "lookup_order" and head["id"].startswith("call_")
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] > 0


def test_usage_overrides_models_and_health(mock):
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "pinned"}]}
    reply = httpx.post(f"{mock.api_base}/chat/completions", json=body, timeout=10).json()
    counts = {key: reply["usage"][key] for key in ("prompt_tokens", "completion_tokens")}
    assert counts == {"prompt_tokens": 1000, "completion_tokens": 500}
    assert reply["usage"]["total_tokens"] == 1500
    models = httpx.get(f"{mock.api_base}/models", timeout=10).json()
    # priced_as, the project's [models] default, then the embedding models.
    assert [model["id"] for model in models["data"]] == [
        "gpt-4o",
        "gpt-4o-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "text-embedding-ada-002",
    ]
    health = httpx.get(f"{mock.url}/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["rules"] == 4 and health["mode"] == "rules"
    assert mock.extras["api_base"] == mock.api_base == f"{mock.url}/v1"


def test_bad_requests_get_openai_style_400s(mock):
    url = f"{mock.api_base}/chat/completions"
    not_json = httpx.post(url, content=b"{nope", timeout=10)
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]
    no_messages = httpx.post(url, json={"model": "gpt-4o"}, timeout=10)
    assert no_messages.status_code == 400
    assert no_messages.json()["error"]["param"] == "messages"


def test_edited_rules_are_picked_up_without_a_restart(tmp_path):
    project = make_project(tmp_path / "p", "- {id: default, respond: {text: one}}\n")
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    with start_mock(project_dir=project) as server:
        url = f"{server.api_base}/chat/completions"
        first = httpx.post(url, json=body, timeout=10).json()
        (project / "mocks" / "rules.yaml").write_text("- {id: default, respond: {text: two!}}\n")
        second = httpx.post(url, json=body, timeout=10).json()
        (project / "mocks" / "rules.yaml").write_text("- {id: default, respnd: {text: 3}}\n")
        broken = httpx.post(url, json=body, timeout=10)
    assert first["choices"][0]["message"]["content"] == "one"
    assert second["choices"][0]["message"]["content"] == "two!"
    assert broken.status_code == 400 and "rules.yaml:1" in broken.json()["error"]["message"]


def test_forwarding_without_an_upstream_is_a_clear_500(tmp_path):
    """mock_options refuses record/passthrough without an upstream; a state built around it
    still answers with the reason instead of crashing on a missing upstream."""
    from workbench.core.mock.app import create_app
    from workbench.core.mock.state import MockOptions, MockState
    from workbench.core.serving import serve_in_thread

    state = MockState(MockOptions(mode="passthrough", cassette_dir=tmp_path / "cassettes"))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with serve_in_thread(create_app(state)) as server:
        url = f"{server.url}/v1/chat/completions"
        response = httpx.post(url, json=body, timeout=10, trust_env=False)
    assert response.status_code == 500
    assert "has no upstream model to forward to" in response.json()["error"]["message"]


async def test_litellm_embeddings_from_the_mock(mock):
    """What eval's ``similar`` check does: litellm's embedding call against the mock."""
    litellm = import_litellm()
    response = await litellm.aembedding(
        model="openai/text-embedding-3-small",
        api_base=mock.api_base,
        api_key="mock",
        input=["refund my order", "refund for my order", "the sky is blue"],
    )
    vectors = [item["embedding"] for item in response.data]
    same = sum(a * b for a, b in zip(vectors[0], vectors[1], strict=True))
    other = sum(a * b for a, b in zip(vectors[0], vectors[2], strict=True))
    assert len(vectors[0]) == 1536 and same > 0.5 > other

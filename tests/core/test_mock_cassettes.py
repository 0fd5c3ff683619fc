"""Record and replay: a second local mock plays the real model; cassettes replay, scrubbed."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.core.test_mock_server import TOOLS, make_project
from workbench.core.llm import import_litellm
from workbench.core.mock import start_mock
from workbench.core.mock.cassettes import normalize, request_hash, scrub

UPSTREAM_RULES = r"""
- id: lookup
  when: {user: {regex: 'order (?P<order_id>\d+)'}, tool_results: false}
  respond: {tool_calls: [{name: lookup_order, arguments: {order_id: "${order_id}"}}]}
- id: answer
  when: {tool_results: true}
  respond: {text: "Your order has shipped. Your key sk-live-abcdefghijklmnop1234 is safe."}
- id: default
  respond: {text: "Recorded answer for: ${user}"}
"""
SECRET = "sk-test-THISKEYMUSTNEVERBESTORED123456"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """A second mock acting as the real OpenAI-compatible model."""
    project = make_project(tmp_path_factory.mktemp("real"), UPSTREAM_RULES, priced_as="gpt-4o")
    server = start_mock(project_dir=project)
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", "- {id: default, respond: {text: from rules}}\n")


def spec(upstream) -> dict:
    return {"model": "openai/gpt-4o", "api_base": upstream.api_base, "api_key": SECRET}


async def turn(server, text: str) -> list[str]:
    """Two LLM steps through litellm, like an agent: a tool call, then the answer."""
    litellm = import_litellm()
    messages = [{"role": "user", "content": text}]
    outputs = []
    for _ in range(2):
        reply = await litellm.acompletion(
            model="openai/gpt-4o-mini",
            api_base=server.api_base,
            api_key="client-key-ignored",
            messages=messages,
            tools=TOOLS,
            temperature=0,
            max_retries=0,
        )
        message = reply.choices[0].message
        outputs.append(json.dumps(message.model_dump(exclude_none=True), sort_keys=True))
        if not message.tool_calls:
            break
        messages.append(message.model_dump(exclude_none=True))
        call = message.tool_calls[0]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"ok": true}'})
    return outputs


@pytest.mark.slow  # two servers, and litellm's first tool call imports the MCP SDK (~4 s)
async def test_record_then_replay_gives_identical_output_offline(project, tmp_path):
    real = start_mock(project_dir=make_project(tmp_path / "real", UPSTREAM_RULES, "gpt-4o"))
    with real, start_mock(project_dir=project, mode="record", upstream=spec(real)) as recorder:
        recorded = await turn(recorder, "Where is order 555?")
    assert len(list((project / "cassettes").glob("*.json"))) == 2
    # The "real" model is gone now: replay must not need it.
    with start_mock(project_dir=project, mode="replay") as player:
        replayed = await turn(player, "Where is order 555?")
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
        miss = httpx.post(f"{player.api_base}/chat/completions", json=body, timeout=10)
    assert replayed == recorded
    assert "shipped" in replayed[-1]
    assert miss.status_code == 404
    assert request_hash(body) in miss.json()["error"]["message"]


async def test_replayed_responses_say_so_in_a_header(project, upstream):
    with start_mock(project_dir=project, mode="record", upstream=spec(upstream)) as recorder:
        await turn(recorder, "hello there")
    litellm = import_litellm()
    with start_mock(project_dir=project, mode="replay") as player:
        reply = await litellm.acompletion(
            model="openai/gpt-4o-mini",
            api_base=player.api_base,
            api_key="x",
            messages=[{"role": "user", "content": "hello there"}],
            tools=TOOLS,
            temperature=0,
        )
    headers = reply._hidden_params["additional_headers"]
    assert headers["llm_provider-x-workbench-model-source"] == "replay"
    assert reply.usage.prompt_tokens > 0  # real counts kept; the collector prices replay at 0
    assert reply.choices[0].message.content == "Recorded answer for: hello there"


def test_passthrough_records_misses_and_replays_hits(project, upstream):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "new question"}]}
    with start_mock(project_dir=project, mode="passthrough", upstream=spec(upstream)) as server:
        url = f"{server.api_base}/chat/completions"
        first = httpx.post(url, json=body, timeout=10)
        second = httpx.post(url, json=body, timeout=10)
    assert first.headers["x-workbench-model-source"] == "record"
    assert second.headers["x-workbench-model-source"] == "replay"
    assert first.json()["choices"] == second.json()["choices"]
    assert (project / "cassettes" / f"{request_hash(body)}.json").is_file()


async def test_cassettes_hold_no_secrets(project, upstream):
    with start_mock(project_dir=project, mode="record", upstream=spec(upstream)) as recorder:
        await turn(
            recorder, "order 77, my token is sk-proj-ABCDEFGHIJKLMNOP and key AKIAABCDEFGHIJKLMNOP"
        )
    text = "\n".join(p.read_text() for p in (project / "cassettes").glob("*.json"))
    assert SECRET not in text and "client-key-ignored" not in text
    assert "sk-proj-ABCDEFGHIJKLMNOP" not in text and "AKIAABCDEFGHIJKLMNOP" not in text
    assert "sk-live-abcdefghijklmnop1234" not in text
    assert "[REDACTED]" in text


def test_the_hash_ignores_ids_keys_users_and_streaming():
    base = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "call_1", "function": {"name": "f", "arguments": '{"a": 1, "b": 2}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "r"},
        ],
        "temperature": 0,
    }
    other = json.loads(json.dumps(base))
    other["messages"][1]["tool_calls"][0]["id"] = "call_zzz"
    other["messages"][1]["tool_calls"][0]["function"]["arguments"] = '{"b":2,"a":1}'
    other["messages"][2]["tool_call_id"] = "call_zzz"
    other.update(stream=True, user="u-1", api_key="sk-abcdefghijkl", request_id="r")
    assert request_hash(base) == request_hash(other)
    assert request_hash(base) != request_hash({**base, "temperature": 0.5})
    assert request_hash(base) != request_hash({**base, "model": "gpt-4o"})
    assert request_hash(base) != request_hash({**base, "tools": TOOLS})
    # A replay must not answer two choices, a cut answer or other logprobs with one recording.
    for field, value in [("n", 2), ("stop", ["x"]), ("seed", 3), ("logprobs", True)]:
        assert request_hash(base) != request_hash({**base, field: value}), field
    assert "api_key" not in normalize(other)


def test_scrub_removes_secret_keys_and_shapes():
    data = {
        "headers": {"Authorization": "Bearer abc.def.ghi.jkl", "api_key": "whatever"},
        "text": "use Bearer abcdefghijkl or ghp_abcdefghijklmnopqrstuvwxyz",
        "n": 3,
    }
    clean = scrub(data, secrets=("my-own-secret",))
    assert clean["headers"] == {"Authorization": "[REDACTED]", "api_key": "[REDACTED]"}
    assert clean["text"] == "use [REDACTED] or [REDACTED]" and clean["n"] == 3
    assert scrub("x my-own-secret y", secrets=("my-own-secret",)) == "x [REDACTED] y"


def test_record_needs_an_upstream(project):
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="--upstream-model"):
        start_mock(project_dir=project, mode="record")

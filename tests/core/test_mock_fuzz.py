"""Malformed requests never crash the mock: every answer is a 200 or the API's 4xx shape."""

from __future__ import annotations

import copy
import random
from typing import Any

import httpx
import pytest

from tests.core.mock_sdk import TOOLS, serve

VALID: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Be brief. Answer in json."},
        {"role": "user", "content": [{"type": "text", "text": "where is order 5?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup_order", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "{}"},
    ],
    "tools": TOOLS,
    "tool_choice": {"type": "function", "function": {"name": "search_kb"}},
    "response_format": {"type": "json_object"},
    "n": 2,
    "max_tokens": 20,
    "stop": ["x"],
    "logprobs": True,
    "top_logprobs": 2,
    "stream": False,
    "stream_options": None,
    "seed": 1,
}
SHAPE = {"message", "type", "param", "code"}
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], [1], {}, {"a": 1}, [{}], [None]]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


def replaced(value: Any, path: tuple, new: Any) -> Any:
    body = copy.deepcopy(value)
    if not path:
        return new
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return body


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    for server, _client in serve(tmp_path_factory.mktemp("fuzz")):
        yield server


@pytest.mark.parametrize("endpoint", ["chat/completions", "responses", "embeddings"])
def test_every_field_replaced_by_odd_values_gets_a_clean_answer(mock, endpoint):
    draw = random.Random(f"mock-fuzz-{endpoint}")
    base = VALID
    if endpoint == "responses":
        base = {
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
            "text": {"format": {"type": "json_schema", "name": "a", "schema": {}}},
            "max_output_tokens": 20,
            "instructions": "x",
            "tool_choice": "auto",
        }
    elif endpoint == "embeddings":
        base = {
            "model": "text-embedding-3-small",
            "input": ["a", "b"],
            "dimensions": 8,
            "encoding_format": "float",
        }
    cases = [(path, odd) for path in paths(base) for odd in ODD_VALUES]
    draw.shuffle(cases)
    broken = []
    with httpx.Client(timeout=30) as client:
        for path, odd in cases[:400]:
            body = replaced(base, path, odd)
            response = client.post(f"{mock.api_base}/{endpoint}", json=body)
            if response.status_code not in (200, 400, 404):
                broken.append((path, odd, response.status_code))
            elif response.status_code != 200 and set(response.json()["error"]) != SHAPE:
                broken.append((path, odd, response.text))
    assert not broken

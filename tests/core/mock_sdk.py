"""Shared by the mock's OpenAI-SDK tests: a project with rules for every request shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai

from tests.core.test_mock_server import make_project
from workbench.core.mock import MockServer, start_mock

RULES = r"""
models: [gpt-4.1-mini, "ft:gpt-4o-mini:*"]
rules:
  - id: lookup
    when: {user: {regex: 'order (?P<order_id>\d+)'}, tool_results: false}
    respond:
      tool_calls: [{name: lookup_order, arguments: {order_id: "${order_id}"}}]
      without_tools: "I cannot look up order ${order_id} without tools."
      forced_arguments:
        search_kb: {query: "order ${order_id}"}
  - id: shipped
    when: {last_tool: lookup_order}
    respond: {text: "Order shipped on Monday."}
  - id: weather
    when: {user: weather}
    respond:
      text: "It is sunny in Paris."
      json_output: {city: Paris, temperature_c: 21, conditions: sunny}
  - id: kb-only
    when: {user: knowledge base}
    respond: {tool_calls: [{name: search_kb, arguments: {query: returns}}]}
  - id: two-calls
    when: {user: both tools}
    respond:
      tool_calls:
        - {name: lookup_order, arguments: {order_id: "1"}}
        - {name: search_kb, arguments: {query: "shipping"}}
  - id: story
    when: {user: story}
    respond:
      text: >-
        Once upon a time a small mock model answered every request. It never slept.
        THE END. Goodbye and thanks for reading.
  - id: coin
    when: {user: coin}
    respond: {text: heads}
    random: {probability: 0.5, respond: {text: tails}}
  - id: default
    respond: {text: "Hello! How can I help you today?"}
"""

LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Look up an order",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
            "additionalProperties": False,
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search_kb",
        "description": "Search the knowledge base",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 3},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10},
                "scope": {"enum": ["faq", "policy"]},
            },
            "required": ["query", "limit", "scope"],
            "additionalProperties": False,
        },
    },
}
TOOLS = [LOOKUP, SEARCH]


def serve(root: Path) -> Iterator[tuple[MockServer, openai.OpenAI]]:
    """A mock serving ``RULES`` and an SDK client pointed at it (no retries)."""
    server = start_mock(project_dir=make_project(root, RULES))
    client = openai.OpenAI(base_url=server.api_base, api_key="mock", max_retries=0, timeout=30)
    try:
        yield server, client
    finally:
        client.close()
        server.stop()

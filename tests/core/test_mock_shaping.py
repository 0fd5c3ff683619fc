"""Fitting rule answers to the request: rule-file keys, schema-generated values, tool policy."""

from __future__ import annotations

import json

import pytest

from tests.core.test_mock_rules import book_of
from workbench.core.mock.cassettes import request_hash
from workbench.core.mock.constraints import Constraints, ToolPolicy
from workbench.core.mock.engine import decide
from workbench.core.mock.schema_values import example, is_valid
from workbench.errors import ConfigError

SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 12, "maxLength": 14}}},
    {"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 5},
    {"type": "number", "minimum": -1.5, "maximum": -1.25},
    {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 30},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 3, "maxItems": 3},
    {"type": ["null", "string"], "format": "date-time"},
    {
        "anyOf": [{"type": "null"}, {"$ref": "#/$defs/point"}],
        "$defs": {
            "point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"],
                "additionalProperties": False,
            }
        },
    },
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"const": 1}}, "required": ["a"]},
            {"properties": {"b": {"enum": ["p", "q"]}}, "required": ["b"]},
        ]
    },
    {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2},
    {
        "$ref": "#/$defs/tree",
        "$defs": {
            "tree": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
            }
        },
    },
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_generated_values_are_valid_and_repeatable(schema):
    value = example(schema, text="the answer", key="k")
    assert is_valid(value, schema), value
    assert example(schema, text="the answer", key="k") == value


def test_rule_files_declare_served_models_and_check_new_keys(tmp_path):
    book = book_of(tmp_path, "models: [gpt-4.1, 'ft:*']\nrules:\n  - {id: a, respond: {text: x}}\n")
    assert book.models == ("gpt-4.1", "ft:*")
    with pytest.raises(ConfigError, match="did you mean 'models'"):
        book_of(tmp_path, "modles: [x]\nrules: []\n", name="bad.yaml")


def test_placeholders_in_the_new_answers_are_checked(tmp_path):
    text = "- id: a\n  respond:\n    tool_calls: [{name: t}]\n    without_tools: 'no ${nope}'\n"
    with pytest.raises(ConfigError, match=r"placeholder \$\{nope\}"):
        book_of(tmp_path, text)


def test_a_json_only_rule_answers_its_json_as_text(tmp_path):
    book = book_of(tmp_path, "- {id: a, respond: {json_output: {ok: true}}}\n")
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    decision = decide(book, body, request_hash(body), constraints=Constraints.of(body))
    assert json.loads(decision.message["content"]) == {"ok": True}


def test_allowed_tools_restrict_what_may_be_called():
    tools = [{"type": "function", "function": {"name": n}} for n in ("a", "b", "c")]
    allowed = {"mode": "required", "tools": [{"type": "function", "function": {"name": "b"}}]}
    policy = ToolPolicy.of(
        {"tools": tools, "tool_choice": {"type": "allowed_tools", "allowed_tools": allowed}}
    )
    assert (policy.mode, list(policy.offered)) == ("required", ["b"])
    assert ToolPolicy.of({"tools": tools, "tool_choice": "none"}).mode == "none"
    assert ToolPolicy.of({"tool_choice": "auto"}).mode == "none"  # nothing offered
    assert ToolPolicy.of({"tools": tools}).mode == "auto"


def test_a_tools_only_rule_gives_way_when_tools_are_off(tmp_path):
    book = book_of(
        tmp_path,
        "- {id: call, respond: {tool_calls: [{name: a}]}}\n"
        "- {id: default, respond: {text: plain}}\n",
    )
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert decide(book, body, "k").rule_id == "call"  # without constraints: rules only
    assert decide(book, body, "k", constraints=Constraints.of(body)).rule_id == "default"

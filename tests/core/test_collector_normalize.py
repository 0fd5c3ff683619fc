"""Normalization: every alias family lands on the same canonical columns."""

from __future__ import annotations

import json

import pytest

from workbench.core.collector.normalize import normalize_request, row_dict
from workbench.core.collector.synthetic import make_request, make_span
from workbench.core.config import PricingOverride
from workbench.core.pricing import cost_usd

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
SPAN = bytes.fromhex("b7ad6b7169203331")
PARENT = bytes.fromhex("00f067aa0ba902b7")


def normalize_one(attributes: dict, **span_options) -> dict:
    """The canonical row for a single span with ``attributes``."""
    request = make_request(
        [make_span(TRACE, SPAN, "span", attributes, **span_options)], service="shop"
    )
    result = normalize_request(request)
    assert result.rejected == 0
    (row,) = result.rows
    return row_dict(row)


def test_current_genai_names():
    row = normalize_one(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.cache_read.input_tokens": 400,
            "gen_ai.conversation.id": "s-1",
            "workbench.variant": "concise",
            "workbench.prompt_version": "v3",
        },
        parent_id=PARENT,
    )
    assert row["trace_id"] == TRACE.hex() and row["span_id"] == SPAN.hex()
    assert row["parent_id"] == PARENT.hex()
    assert row["kind"] == "llm"
    assert row["service"] == "shop"
    assert row["model"] == "gpt-4o-mini-2024-07-18"
    assert row["provider"] == "openai"
    assert (row["input_tokens"], row["output_tokens"], row["cached_tokens"]) == (1000, 200, 400)
    assert row["session_id"] == "s-1"
    assert row["variant"] == "concise" and row["prompt_version"] == "v3"
    assert row["cost_usd"] == pytest.approx(cost_usd("gpt-4o-mini-2024-07-18", 1000, 200, 400))
    assert row["cost_usd"] > 0
    assert json.loads(row["attributes"])["gen_ai.usage.input_tokens"] == 1000
    assert json.loads(row["resource"])["service.name"] == "shop"


def test_older_genai_names():
    row = normalize_one(
        {
            "gen_ai.system": "anthropic",
            "gen_ai.operation.name": "text_completion",
            "gen_ai.request.model": "claude-haiku-4-5",
            "gen_ai.usage.prompt_tokens": 50,
            "gen_ai.usage.completion_tokens": 7,
        }
    )
    assert row["kind"] == "llm"
    assert row["provider"] == "anthropic"
    assert (row["input_tokens"], row["output_tokens"]) == (50, 7)
    assert row["cost_usd"] and row["cost_usd"] > 0


def test_openinference_names():
    row = normalize_one(
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o",
            "llm.provider": "openai",
            "llm.token_count.prompt": 120,
            "llm.token_count.completion": 30,
            "llm.token_count.prompt_details.cache_read": 20,
            "session.id": "oi-session",
        }
    )
    assert row["kind"] == "llm" and row["model"] == "gpt-4o" and row["provider"] == "openai"
    assert (row["input_tokens"], row["output_tokens"], row["cached_tokens"]) == (120, 30, 20)
    assert row["session_id"] == "oi-session"
    tool = normalize_one({"openinference.span.kind": "TOOL", "tool.name": "search"})
    assert tool["kind"] == "tool" and tool["tool_name"] == "search"
    assert normalize_one({"openinference.span.kind": "AGENT"})["kind"] == "agent"
    assert normalize_one({"openinference.span.kind": "CHAIN"})["kind"] == "other"
    assert normalize_one({"openinference.span.kind": "GUARDRAIL"})["kind"] == "guardrail"


def test_traceloop_names():
    assert normalize_one({"traceloop.span.kind": "workflow"})["kind"] == "agent"
    assert normalize_one({"traceloop.span.kind": "agent"})["kind"] == "agent"
    assert normalize_one({"traceloop.span.kind": "task"})["kind"] == "other"
    tool = normalize_one({"traceloop.span.kind": "tool", "traceloop.entity.name": "weather"})
    assert tool["kind"] == "tool" and tool["tool_name"] == "weather"
    llm = normalize_one(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "OpenAI",
            "gen_ai.request.model": "gpt-4o-mini",
            "llm.usage.prompt_tokens": 10,
            "llm.usage.completion_tokens": 5,
        }
    )
    assert llm["kind"] == "llm" and (llm["input_tokens"], llm["output_tokens"]) == (10, 5)


def test_operation_names_map_to_kinds():
    kinds = {
        "chat": "llm",
        "text_completion": "llm",
        "embeddings": "llm",
        "execute_tool": "tool",
        "invoke_agent": "agent",
        "create_agent": "agent",
        "guardrail": "guardrail",
    }
    for operation, kind in kinds.items():
        assert normalize_one({"gen_ai.operation.name": operation})["kind"] == kind, operation
    assert normalize_one({"http.method": "GET"})["kind"] == "other"


def test_workbench_guardrail_and_tool_attributes():
    row = normalize_one({"workbench.guardrail.name": "pii", "workbench.guardrail.verdict": "block"})
    assert row["kind"] == "guardrail"
    tool = normalize_one({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})
    assert tool["tool_name"] == "lookup"


def test_carried_cost_wins_and_replay_is_free():
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 1000,
    }
    assert normalize_one({**base, "workbench.cost_usd": 0.5})["cost_usd"] == 0.5
    assert normalize_one({**base, "gen_ai.usage.cost": 0.25})["cost_usd"] == 0.25
    assert normalize_one({**base, "llm.cost.total": 0.125})["cost_usd"] == 0.125
    replay = {**base, "workbench.model_source": "replay", "workbench.cost_usd": 0.5}
    assert normalize_one(replay)["cost_usd"] == 0.0


def test_unknown_model_has_no_cost_unless_overridden():
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "my-finetune-7b",
        "gen_ai.usage.input_tokens": 1_000_000,
        "gen_ai.usage.output_tokens": 1_000_000,
    }
    assert normalize_one(attributes)["cost_usd"] is None
    overrides = {"my-finetune-7b": PricingOverride(input_per_mtok=1.0, output_per_mtok=2.0)}
    request = make_request([make_span(TRACE, SPAN, "chat", attributes)], service="shop")
    (row,) = normalize_request(request, lambda service: overrides).rows
    assert row_dict(row)["cost_usd"] == pytest.approx(3.0)


def test_an_unpriced_call_is_priced_only_by_the_projects_pricing():
    """A local server answering as gpt-4o-mini is not charged gpt-4o-mini's list price."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "openai/gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1_000_000,
        "gen_ai.usage.output_tokens": 1_000_000,
        "workbench.cost.unpriced": True,
    }
    assert normalize_one({k: v for k, v in attributes.items() if "unpriced" not in k})[
        "cost_usd"
    ] == pytest.approx(cost_usd("gpt-4o-mini", 1_000_000, 1_000_000))
    assert normalize_one(attributes)["cost_usd"] is None
    overrides = {"gpt-4o-mini": PricingOverride(input_per_mtok=0.5, output_per_mtok=0.5)}
    request = make_request([make_span(TRACE, SPAN, "chat", attributes)], service="shop")
    (row,) = normalize_request(request, lambda service: overrides).rows
    assert row_dict(row)["cost_usd"] == pytest.approx(1.0)


def test_status_errors_and_events():
    row = normalize_one(
        {"gen_ai.operation.name": "chat"},
        status=2,
        events=[("exception", {"exception.type": "RateLimitError", "exception.message": "429"})],
    )
    assert row["status"] == "error"
    assert row["status_message"] == "429"
    (event,) = json.loads(row["events"])
    assert event["name"] == "exception" and event["attributes"]["exception.message"] == "429"
    assert normalize_one({}, status=1)["status"] == "ok"
    assert normalize_one({})["status"] == "unset"
    assert normalize_one({})["events"] is None


def test_nested_attribute_values_become_json():
    row = normalize_one({"list": [1, "a", True], "map": {"k": 1.5}, "raw": b"\x00\x01"})
    attributes = json.loads(row["attributes"])
    assert attributes == {"list": [1, "a", True], "map": {"k": 1.5}, "raw": "AAE="}


def test_empty_zero_and_unset_values_keep_their_types():
    """Values whose string reading is empty take the slow path; each keeps its own type."""
    request = make_request(
        [
            make_span(
                TRACE,
                SPAN,
                "span",
                {"empty": "", "zero": 0, "no": False, "nothing": 0.0, "none": [], "text": "x"},
            )
        ]
    )
    unset = request.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    unset.key = "unset"  # a KeyValue whose AnyValue carries no value at all
    (row,) = normalize_request(request).rows
    attributes = json.loads(row_dict(row)["attributes"])
    assert attributes == {
        "empty": "",
        "zero": 0,
        "no": False,
        "nothing": 0.0,
        "none": [],
        "text": "x",
        "unset": None,
    }
    assert [type(attributes[key]) for key in ("zero", "no", "nothing")] == [int, bool, float]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("gen_ai.operation.name", "tool"),
        ("openinference.span.kind", "other"),
        ("llm.request.type", "tool"),
    ],
)
def test_list_or_map_values_where_a_kind_is_expected_name_no_kind(key, kind):
    """Such values used to crash normalization (unhashable), failing the whole export."""
    for value in (["chat", "tool"], {"kind": "LLM"}):
        row = normalize_one({key: value, "gen_ai.tool.name": "lookup"})
        assert row["kind"] == kind
        assert json.loads(row["attributes"])[key] == value


def test_values_sqlite_cannot_hold_never_reach_the_writer():
    """One such span used to fail its whole batch with OverflowError (503 for its batch-mates)."""
    huge = normalize_one(
        {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1e30}, start_ns=5
    )
    assert huge["input_tokens"] is None
    for value in ("inf", float("nan"), -1e300, "12.9"):
        assert normalize_one({"gen_ai.usage.output_tokens": value})["output_tokens"] == (
            12 if value == "12.9" else None
        )
    late = make_span(TRACE, SPAN, "late", start_ns=2**64 - 10, duration_ns=5)
    result = normalize_request(make_request([late, make_span(TRACE, PARENT, "fine")]))
    assert [row_dict(row)["name"] for row in result.rows] == ["fine"]
    assert result.rejected == 1 and "time out of range" in result.error_message


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"gen_ai.usage.input_tokens": -1}, "negative input token count (-1)"),
        ({"gen_ai.usage.output_tokens": "-20"}, "negative output token count (-20)"),
        ({"gen_ai.usage.cache_read.input_tokens": -3}, "negative cached token count (-3)"),
        ({"workbench.cost_usd": -0.5}, "impossible cost (-0.5)"),
        ({"workbench.cost_usd": "nan"}, "impossible cost (nan)"),
        ({"workbench.cost_usd": float("inf")}, "impossible cost (inf)"),
    ],
)
def test_negative_tokens_and_costs_are_rejected_not_stored(attributes, problem):
    """Like invalid ids: the span is rejected with its reason, its batch-mates are stored."""
    model = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.operation.name": "chat"}
    bad = make_span(TRACE, SPAN, "bad", model | attributes)
    good = make_span(TRACE, PARENT, "good", model | {"gen_ai.usage.input_tokens": 0})
    result = normalize_request(make_request([bad, good]))
    assert [row_dict(row)["name"] for row in result.rows] == ["good"]
    assert result.rejected == 1
    assert result.error_message == f"rejected 1 span(s): span 'bad': {problem}"


def test_zero_tokens_and_cost_are_possible():
    row = normalize_one({"gen_ai.usage.input_tokens": 0, "workbench.cost_usd": 0.0})
    assert row["input_tokens"] == 0 and row["cost_usd"] == 0.0


def test_invalid_ids_are_rejected_not_stored():
    good = make_span(TRACE, SPAN, "good")
    bad = [
        make_span(bytes(16), SPAN, "zero trace"),
        make_span(TRACE[:8], SPAN, "short trace"),
        make_span(TRACE, bytes(8), "zero span"),
        make_span(TRACE, b"\x01", "short span"),
        make_span(TRACE, SPAN, "bad parent", parent_id=b"\x01\x02"),
    ]
    result = normalize_request(make_request([good, *bad]))
    assert [row_dict(row)["name"] for row in result.rows] == ["good"]
    assert result.rejected == 5
    assert "invalid trace_id" in result.error_message
    assert result.trace_ids == {TRACE.hex()}


def test_duration_and_unknown_service():
    request = make_request([make_span(TRACE, SPAN, "x", start_ns=10, duration_ns=2_500_000)])
    request.resource_spans[0].resource.ClearField("attributes")
    row = row_dict(normalize_request(request).rows[0])
    assert row["service"] == "unknown_service"
    assert (row["start_ns"], row["end_ns"], row["duration_ms"]) == (10, 2_500_010, 2.5)

"""What a turn retrieved and cited: RETRIEVER spans from the real OTel SDK, result, reply."""

from __future__ import annotations

import pytest

from tests.core.rag_traces import RETURNS, store, stored_turn, traced_turn
from workbench.core.evals.grading import attach_trace
from workbench.core.evals.observation import Observation
from workbench.core.evals.retrieval import Chunk, citations_of, parse_citations, strip_citations
from workbench.core.evals.spec import Case
from workbench.core.evals.tracefacts import StoreTraceSource

SHIPPING = [("shipping#1", "Orders ship from our Berlin warehouse.", 0.8)]


def rag_case() -> Case:
    return Case.model_validate(
        {"id": "c", "input": "x", "assert": [{"type": "context-recall", "value": ["a"]}]}
    )


def result_contexts(*ids: str) -> list[dict]:
    return [{"id": i, "source": i.split("#")[0], "text": f"text of {i}", "score": 0.5} for i in ids]


async def observed(trace_ids: list[str], result: dict | None = None) -> Observation:
    obs = Observation(
        output="", status="ok", latency_ms=1.0, trace_ids=trace_ids, result=result or {}
    )
    source = StoreTraceSource(wait_s=0.3)
    try:
        await attach_trace(obs, rag_case(), source)
    finally:
        source.close()
    return obs


async def test_the_store_gives_the_retriever_chunks_in_rank_order():
    trace_id = stored_turn([RETURNS])
    source = StoreTraceSource()
    try:
        facts = await source.facts([trace_id])
    finally:
        source.close()
    assert facts is not None
    assert facts.retrievals[trace_id] == [
        Chunk("returns-policy#1", "returns-policy", RETURNS[0][1], 0.91),
        Chunk("shipping#2", "shipping", RETURNS[1][1], 0.55),
        Chunk("returns-policy#3", "returns-policy", RETURNS[2][1], 0.52),
    ]
    # A retrieval is neither a tool call nor a model call.
    assert facts.tool_calls == [] and facts.llm_calls == 0


async def test_several_retrievals_are_read_in_order_and_a_chunk_counts_once():
    trace_id = stored_turn([SHIPPING, RETURNS, SHIPPING])
    obs = await observed([trace_id])
    assert obs.contexts_source == "trace"
    assert [c.id for c in obs.contexts] == [
        "shipping#1",
        "returns-policy#1",
        "shipping#2",
        "returns-policy#3",
    ]


async def test_the_trace_wins_over_the_result():
    trace_id = stored_turn([SHIPPING])
    obs = await observed([trace_id], {"contexts": result_contexts("returns-policy#1")})
    assert obs.contexts_source == "trace" and [c.id for c in obs.contexts] == ["shipping#1"]


async def test_a_span_without_content_takes_the_text_the_result_gives():
    trace_id = stored_turn([RETURNS[:1]], with_content=False)
    obs = await observed([trace_id], {"contexts": result_contexts("returns-policy#1")})
    assert obs.contexts == [
        Chunk("returns-policy#1", "returns-policy", "text of returns-policy#1", 0.91)
    ]


async def test_without_a_retriever_span_the_result_contexts_are_read():
    trace_id, request = traced_turn([])  # an agent span, no retrieval recorded on it
    store(request)
    obs = await observed([trace_id], {"contexts": result_contexts("faq#2", "faq#1", "faq#2")})
    assert obs.contexts_source == "result"
    assert [(c.id, c.source) for c in obs.contexts] == [("faq#2", "faq"), ("faq#1", "faq")]


async def test_a_trace_that_never_arrived_falls_back_to_the_result():
    obs = await observed(["ab" * 16], {"contexts": result_contexts("faq#1")})
    assert obs.contexts_source == "result" and obs.trace_source == "result"


@pytest.mark.parametrize("result", [{}, {"contexts": []}, {"contexts": "faq#1"}])
async def test_no_span_and_no_contexts_is_no_retrieval(result):
    trace_id = stored_turn([])
    obs = await observed([trace_id], result)
    assert obs.contexts is None and obs.contexts_source is None


async def test_a_retriever_span_that_found_nothing_is_an_empty_retrieval():
    trace_id = stored_turn([[]])
    obs = await observed([trace_id])
    assert obs.contexts == [] and obs.contexts_source == "trace"


async def test_only_the_graded_turns_trace_counts():
    first, last = stored_turn([RETURNS]), stored_turn([SHIPPING])
    obs = await observed([first, last])
    assert [c.id for c in obs.contexts] == ["shipping#1"]


async def test_a_span_that_only_mentions_retriever_is_not_read():
    # Its text says RETRIEVER, but its span kind is another (here CHAIN): no retrieval.
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tests.core.rag_traces import document_attributes
    from workbench.core.collector.normalize import normalize_request

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span(
        "invoke_agent support", attributes={"gen_ai.operation.name": "invoke_agent"}
    ) as root:
        attributes = {
            "openinference.span.kind": "CHAIN",
            "input.value": "RETRIEVER",
            **document_attributes(SHIPPING),
        }
        with tracer.start_as_current_span("chain", attributes=attributes):
            pass
    provider.shutdown()
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    request = encode_spans(exporter.get_finished_spans())
    assert normalize_request(request).rows
    store(request)
    obs = await observed([format(root.get_span_context().trace_id, "032x")])
    assert obs.contexts is None


@pytest.mark.parametrize(
    ("reply", "cited"),
    [
        ("Returns take 30 days [returns-policy#1].", ["returns-policy#1"]),
        ("See [1] and [2].", []),
        ("See [1.2] or [3#4].", []),
        ("A [faq] B [faq#2] C [faq].", ["faq", "faq#2"]),
        ("Both [returns-policy#1, shipping#2].", ["returns-policy#1", "shipping#2"]),
        ("Read [docs](https://example.com/docs) first.", []),
        ("Read [docs](https://example.com) [faq#1].", ["faq#1"]),
        ("Path ids [kb/returns.md#3] work.", ["kb/returns.md#3"]),
        ("No citation here.", []),
        ("[ spaced_id ] counts.", ["spaced_id"]),
    ],
)
def test_citations_parsed_from_the_reply(reply, cited):
    assert parse_citations(reply) == cited


def test_the_results_citations_win_over_the_reply():
    reply = "Returns take 30 days [returns-policy#1]."
    assert citations_of({"citations": ["faq#1", "faq#1"]}, reply) == (["faq#1"], "result")
    assert citations_of({}, reply) == (["returns-policy#1"], "reply")
    assert citations_of({"citations": "faq#1"}, reply) == (["returns-policy#1"], "reply")


def test_citation_markers_are_not_part_of_the_claim():
    assert strip_citations("Within 30 days [returns-policy#1].") == "Within 30 days ."
    assert strip_citations("Footnote [1].") == "Footnote [1]."

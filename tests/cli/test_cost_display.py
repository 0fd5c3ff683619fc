"""Costs are never invented: an unpriced model call is shown as such, not as $0."""

from __future__ import annotations

from workbench.cli.trace_render import render_trace_totals, span_label, trace_cost
from workbench.core.tracemodels import SpanRecord, TraceDetail


def _span(span_id: str, cost: float | None, kind: str = "llm") -> SpanRecord:
    return SpanRecord(
        trace_id="t" * 32,
        span_id=span_id,
        name=f"chat {span_id}",
        kind=kind,  # type: ignore[arg-type]  # a literal checked by pydantic
        model="gpt-4o-mini",
        input_tokens=100,
        output_tokens=20,
        cost_usd=cost,
        start_ns=1,
        end_ns=2,
        duration_ms=1.0,
    )


def _trace(*spans: SpanRecord) -> TraceDetail:
    return TraceDetail(
        trace_id="t" * 32,
        project="p",
        name="invoke_agent",
        start_ns=1,
        end_ns=2,
        duration_ms=1.0,
        status="ok",
        cost_usd=sum(span.cost_usd or 0.0 for span in spans),
        spans=list(spans),
    )


def test_a_trace_of_unpriced_calls_says_unpriced_not_zero() -> None:
    trace = _trace(_span("a", None), _span("b", None))
    assert trace_cost(trace) == "unpriced"
    assert "unpriced" in render_trace_totals(trace).plain
    assert "$0" not in render_trace_totals(trace).plain
    assert span_label(trace.spans[0]).plain.endswith("unpriced")


def test_a_partly_priced_trace_names_its_unpriced_calls() -> None:
    trace = _trace(_span("a", 0.002), _span("b", None))
    assert trace_cost(trace) == "$0.002000 + 1 unpriced call"


def test_priced_and_free_traces_show_their_cost() -> None:
    assert trace_cost(_trace(_span("a", 0.002))) == "$0.002000"
    assert trace_cost(_trace(_span("a", 0.0))) == "$0"  # a replay: free, and priced as free
    # A tool span without a cost is not a model call left unpriced.
    assert trace_cost(_trace(_span("a", 0.0), _span("t", None, kind="tool"))) == "$0"


def test_run_json_says_what_the_trace_says() -> None:
    from types import SimpleNamespace

    from workbench.cli.run import turn_json

    trace = _trace(_span("a", None))
    report = SimpleNamespace(
        result={"status": "ok", "usage": {"cost_usd": 0}},
        error=None,
        session_id="s",
        variant=None,
        model="openai/local",
        model_source="real",
        outcome=SimpleNamespace(wall_ms=1.0),
        trace=trace,
    )
    assert turn_json(report, None)["cost"] == "unpriced"

"""Deterministic traces for the Run and Traces screen tests, stored the way the collector does."""

from __future__ import annotations

import time
from collections.abc import Sequence

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.core.collector.synthetic import make_request, make_span
from workbench.store.db import connect

# 2026-01-15 09:30:00 UTC; tests run with TZ=UTC so the screens show these times.
T0 = 1_768_469_400_000_000_000
MS = 1_000_000


def ids(trace: int, span: int = 0) -> tuple[bytes, bytes]:
    """A fixed trace id and span id from two small numbers."""
    return trace.to_bytes(16, "big"), (trace * 1000 + span).to_bytes(8, "big")


def support_turn(
    trace: int,
    *,
    start_ns: int,
    session: str = "session-1",
    error: bool = False,
    model: str = "gpt-4o-mini",
) -> list[Span]:
    """One support-agent turn: agent, guardrail, two LLM calls, two tools (one may fail)."""
    trace_id, root = ids(trace)
    common = {
        "gen_ai.conversation.id": session,
        "workbench.variant": "baseline",
        "workbench.prompt_version": "v1",
        "workbench.model_source": "mock",
    }
    llm = {
        **common,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
    }

    def span(index: int, name: str, attributes: dict, at: int, length: int, **kw) -> Span:
        return make_span(
            trace_id,
            ids(trace, index)[1],
            name,
            attributes,
            parent_id=root,
            start_ns=start_ns + at * MS,
            duration_ns=length * MS,
            **kw,
        )

    spans = [
        make_span(
            trace_id,
            root,
            "invoke_agent support",
            {**common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"},
            start_ns=start_ns,
            duration_ns=900 * MS,
            status=2 if error else 0,
            message="tool check_return_eligibility failed" if error else "",
        ),
        span(
            1,
            "guardrail pii",
            {
                **common,
                "gen_ai.operation.name": "guardrail",
                "workbench.guardrail.name": "pii",
                "workbench.guardrail.verdict": "pass",
            },
            1,
            2,
        ),
        span(
            2,
            f"chat {model}",
            {
                **llm,
                "gen_ai.usage.input_tokens": 420,
                "gen_ai.usage.output_tokens": 35,
                "workbench.cost_usd": 0.000084,
                "gen_ai.input.messages": '[{"role":"user","content":"Help me return order 12345"}]',
                "gen_ai.output.messages": '[{"role":"assistant","content":"Looking it up."}]',
            },
            5,
            300,
        ),
        span(
            3,
            "execute_tool lookup_order",
            {
                **common,
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup_order",
                "gen_ai.tool.call.arguments": '{"order_id": "12345"}',
                "gen_ai.tool.call.result": '{"status": "delivered"}',
            },
            310,
            20,
        ),
        span(
            4,
            f"chat {model}",
            {
                **llm,
                "gen_ai.usage.input_tokens": 510,
                "gen_ai.usage.output_tokens": 60,
                "workbench.cost_usd": 0.000113,
            },
            340,
            300,
        ),
        span(
            5,
            "execute_tool check_return_eligibility",
            {
                **common,
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "check_return_eligibility",
                "gen_ai.tool.call.arguments": '{"order_id": "12345"}',
                **({} if error else {"gen_ai.tool.call.result": '{"eligible": true}'}),
            },
            650,
            25,
            status=2 if error else 0,
            message="eligibility service unavailable" if error else "",
        ),
    ]
    return spans


def store_spans(spans: Sequence[Span], service: str = "support-agent") -> None:
    """Write ``spans`` into the workbench database exactly as the collector would."""
    rows = normalize_request(make_request(spans, service=service)).rows
    db = connect()
    try:
        with db.conn:
            write_spans(db, rows)
    finally:
        db.conn.close()


def seed_traces(count: int = 12) -> list[str]:
    """``count`` turns a minute apart (every fifth errors), in two projects; their trace ids."""
    trace_ids = []
    for n in range(1, count + 1):
        service = "support-agent" if n % 3 else "billing-bot"
        store_spans(support_turn(n, start_ns=T0 + n * 60_000 * MS, error=n % 5 == 0), service)
        trace_ids.append(ids(n)[0].hex())
    return trace_ids


class FakeRunner:
    """Stands in for ``LocalStack``: stores a support turn's spans in two steps, then replies.

    ``gate`` (when given) holds the turn after the first spans are stored, so a
    test can look at the screen mid-turn.
    """

    started: list[FakeRunner] = []

    def __init__(self, project, *, model=None, variant=None, gate=None, trace: int = 900) -> None:
        self.project = project
        self.model = model or "mock"
        self.variant = variant
        self.gate = gate
        self.trace = trace
        self.closed = False
        FakeRunner.started.append(self)

    async def __aenter__(self) -> FakeRunner:
        return self

    async def close(self) -> None:
        self.closed = True

    async def turn(self, text: str, *, session_id: str | None = None):
        import asyncio

        from workbench.core.runner.protocol import TurnOutcome
        from workbench.core.runner.stack import TurnReport
        from workbench.store.traces import get_trace

        # Now, like a real turn: the screen follows traces that started after it sent the message.
        spans = support_turn(self.trace, start_ns=time.time_ns(), session=session_id or "s")
        await asyncio.to_thread(store_spans, spans[1:3], self.project.name)
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.to_thread(store_spans, [spans[0], *spans[3:]], self.project.name)
        db = connect()
        try:
            trace = get_trace(db, ids(self.trace)[0].hex())
        finally:
            db.conn.close()
        result = {
            "output": "Order 12345 is eligible for a return; I have started it.",
            "status": "ok",
            "trace_id": ids(self.trace)[0].hex(),
            "session_id": session_id,
            "steps": 2,
            "tool_calls": [{"name": "lookup_order"}, {"name": "check_return_eligibility"}],
            "usage": {"input_tokens": 930, "output_tokens": 95, "cost_usd": 0.000197},
            "model": "openai/gpt-4o-mini",
        }
        return TurnReport(
            project=self.project.name,
            variant=self.variant,
            model="openai/gpt-4o-mini",
            model_source="mock",
            session_id=session_id or "s",
            outcome=TurnOutcome(request_id="r1", result=result, wall_ms=1234.0),
            trace=trace,
        )


async def wait_for(pilot, condition, timeout: float = 20.0) -> float:
    """Seconds until ``condition()`` holds, pausing without pressing any key."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)
    return time.monotonic() - started

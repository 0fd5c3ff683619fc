"""observability.tracing for an adopted agent: one turn on the mock, judged by its trace.

The template's check reads its tracing module; foreign code is judged by what arrives
instead: the turn's trace must hold LLM spans with token counts (and so a cost), which
only the agent's own instrumentation can produce (docs/adopt.md, docs/tracing.md).
"""

from __future__ import annotations

from workbench.core.readiness.context import CheckContext
from workbench.core.readiness.model import Verdict

NOT_RUN = "dynamic probes were skipped (--static-only); run `workbench check` to prove it"
HINT = (
    "instrument the agent's model client (OpenInference, OpenLLMetry or the OTel GenAI "
    "instrumentation; docs/tracing.md): the workbench points OTEL_EXPORTER_OTLP_ENDPOINT "
    "at its collector, so `instrument()` is enough"
)


def probe_adopted_tracing(ctx: CheckContext) -> Verdict:
    """Pass when one turn through the entry point leaves LLM spans with tokens in its trace."""
    if not ctx.run_dynamic:
        return Verdict.warn(NOT_RUN)
    harness = ctx.harness
    request = harness.request("Hello!", model="openai/gpt-4o-mini")
    outcome = harness.run_turn(request, timeout=60.0)
    if not outcome.ok or outcome.result is None:
        return Verdict.error(f"the turn ended with {outcome.error_kind}: {outcome.message}")
    trace_id = outcome.result.get("trace_id")
    trace = harness.trace(trace_id)
    spans = trace.spans if trace is not None else []
    llm = [span for span in spans if span.kind == "llm"]
    counted = [span for span in llm if span.input_tokens or span.output_tokens]
    tools = sum(span.kind == "tool" for span in spans)
    seen = f"trace {trace_id}: {len(spans)} spans, {len(llm)} LLM ({len(counted)} with tokens)"
    if not llm:
        return Verdict.fail(HINT, f"{seen}; the model call left no span")
    if len(counted) < len(llm):
        return Verdict.fail(HINT, f"{seen}; an LLM span without token counts cannot be priced")
    return Verdict.ok(f"{seen}, {tools} tool")

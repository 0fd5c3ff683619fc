"""Rendering a trace for the terminal and as JSON; shared by ``traces show`` and ``run``.

``format_cost`` and ``format_duration`` come from ``workbench.core.figures`` (re-exported).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from rich.tree import Tree

from workbench.core.figures import format_cost, format_duration
from workbench.core.tracemodels import SpanRecord, TraceDetail, TraceSummary

_VERDICT_STYLES = {"pass": "green", "block": "bold red", "redact": "yellow"}
_KIND_STYLES = {"agent": "magenta", "llm": "cyan", "tool": "blue", "guardrail": "yellow"}


def format_start(start_ns: int) -> str:
    """A span or trace start as local ``YYYY-MM-DD HH:MM:SS``."""
    return dt.datetime.fromtimestamp(start_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def span_label(span: SpanRecord) -> Text:
    """One line for a span: name, kind, duration, model, tokens, cost, verdicts and errors."""
    error = span.status == "error"
    label = Text(span.name, style="bold red" if error else "bold")
    label.append(f"  {span.kind}", style="red" if error else _KIND_STYLES.get(span.kind, "dim"))
    label.append(f"  {format_duration(span.duration_ms)}", style="dim")
    if span.model:
        label.append(f"  {span.model}", style="cyan")
    if span.input_tokens is not None or span.output_tokens is not None:
        label.append(f"  in {span.input_tokens or 0} / out {span.output_tokens or 0}")
    if span.cost_usd is not None:
        label.append(f"  {format_cost(span.cost_usd)}", style="green")
    elif unpriced(span):
        label.append("  unpriced", style="yellow")
    attributes = span.attributes
    verdict = attributes.get("workbench.guardrail.verdict")
    if verdict is not None:
        label.append(f"  verdict: {verdict}", style=_VERDICT_STYLES.get(str(verdict), "yellow"))
        reason = attributes.get("workbench.guardrail.reason")
        if reason:
            label.append(f" ({reason})", style="dim")
    attempt = attributes.get("workbench.retry.attempt")
    if attempt:
        label.append(f"  retry {attempt}", style="yellow")
    fallback = attributes.get("workbench.fallback.from")
    if fallback:
        label.append(f"  fallback from {fallback}", style="yellow")
    if error:
        label.append(f"  error: {span.status_message or 'failed'}", style="red")
    return label


def render_trace_tree(detail: TraceDetail) -> Tree:
    """The trace's spans as a rich Tree (parents above children, siblings by start time)."""
    root = Tree(
        Text.assemble(
            (detail.name, "bold red" if detail.status == "error" else "bold"),
            (f"  trace {detail.trace_id}  {detail.project}", "dim"),
        )
    )
    ids = {span.span_id for span in detail.spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for span in detail.spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    # Iterative, so a very deep trace cannot hit the recursion limit.
    stack = [(root, span) for span in reversed(children.get(None, []))]
    while stack:
        branch, span = stack.pop()
        node = branch.add(span_label(span))
        stack.extend((node, child) for child in reversed(children.get(span.span_id, [])))
    return root


def unpriced(span: SpanRecord) -> bool:
    """A model call that used tokens but has no price (e.g. a local server's model)."""
    return (
        span.kind == "llm"
        and span.cost_usd is None
        and bool(span.input_tokens or span.output_tokens)
    )


def trace_cost(summary: TraceSummary) -> str:
    """A trace's cost as shown: unpriced model calls are said so, never counted as $0."""
    spans = summary.spans if isinstance(summary, TraceDetail) else []
    count = sum(unpriced(span) for span in spans)
    if not count:
        return format_cost(summary.cost_usd)
    priced = [span for span in spans if span.kind == "llm" and span.cost_usd is not None]
    if not priced:
        return "unpriced"
    calls = "call" if count == 1 else "calls"
    return f"{format_cost(summary.cost_usd)} + {count} unpriced {calls}"


def render_trace_totals(summary: TraceSummary) -> Text:
    """One line of totals: spans, duration, tokens, cost, status."""
    status_style = "bold red" if summary.status == "error" else "bold green"
    return Text.assemble(
        ("Total: ", "bold"),
        f"{summary.span_count} spans · {format_duration(summary.duration_ms)} · ",
        f"in {summary.input_tokens} / out {summary.output_tokens} tokens · ",
        (trace_cost(summary), "green"),
        " · ",
        (summary.status, status_style),
    )


def summary_json(summary: TraceSummary) -> dict[str, Any]:
    """A trace summary as the JSON object ``traces list --json`` prints."""
    data = summary.model_dump(exclude={"updated_ns"})
    data["start_time"] = dt.datetime.fromtimestamp(summary.start_ns / 1e9, dt.UTC).isoformat()
    return data


def trace_json(detail: TraceDetail) -> dict[str, Any]:
    """A trace with its spans as the JSON object ``traces show --json`` (and ``run``) prints."""
    data = summary_json(detail)
    data["spans"] = [span.model_dump() for span in detail.spans]
    return data

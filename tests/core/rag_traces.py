"""rag-agent turns traced by the real OpenTelemetry SDK and stored the way the collector does.

Each turn is an ``invoke_agent`` span with OpenInference RETRIEVER children
(``retrieval.documents.{i}.document.*``), exported through the SDK's OTLP encoder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from openinference.semconv.trace import (
    DocumentAttributes,
    OpenInferenceSpanKindValues,
    SpanAttributes,
)
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from workbench.core.collector.normalize import normalize_request
from workbench.core.collector.sink import write_spans
from workbench.store.db import connect

# (chunk id, text, score); the source is the part of the id before '#'.
Doc = tuple[str, str, float]

RETURNS = [
    ("returns-policy#1", "You can return items within 30 days of delivery for a refund.", 0.91),
    ("shipping#2", "Standard shipping takes 3 to 5 business days.", 0.55),
    ("returns-policy#3", "Refunds go back to the original payment method.", 0.52),
]


def document_attributes(docs: Sequence[Doc], *, with_content: bool = True) -> dict:
    """The OpenInference attributes of a RETRIEVER span listing ``docs`` in rank order."""
    attributes: dict = {}
    for index, (chunk_id, text, score) in enumerate(docs):
        prefix = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{index}."
        attributes[prefix + DocumentAttributes.DOCUMENT_ID] = chunk_id
        if with_content:
            attributes[prefix + DocumentAttributes.DOCUMENT_CONTENT] = text
        attributes[prefix + DocumentAttributes.DOCUMENT_SCORE] = score
        metadata = {"source": chunk_id.split("#")[0], "title": chunk_id.split("#")[0].title()}
        attributes[prefix + DocumentAttributes.DOCUMENT_METADATA] = json.dumps(metadata)
    return attributes


def traced_turn(
    retrievals: Sequence[Sequence[Doc]], *, query: str = "Can I return my order?", **kw
) -> tuple[str, object]:
    """One turn with a RETRIEVER span per entry of ``retrievals``: (trace id, OTLP request)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "rag-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("rag_agent")
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"}
    with tracer.start_as_current_span("invoke_agent support", attributes=agent) as root:
        for docs in retrievals:
            attributes = {
                SpanAttributes.OPENINFERENCE_SPAN_KIND: OpenInferenceSpanKindValues.RETRIEVER.value,
                SpanAttributes.INPUT_VALUE: query,
                **document_attributes(docs, **kw),
            }
            with tracer.start_as_current_span("retrieve docs", attributes=attributes):
                pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id, encode_spans(exporter.get_finished_spans())


def store(request) -> None:
    """Write an OTLP request's spans into the workbench database as the collector would."""
    rows = normalize_request(request).rows
    db = connect()
    try:
        with db.conn:
            write_spans(db, rows)
    finally:
        db.conn.close()


def stored_turn(retrievals: Sequence[Sequence[Doc]], **kw) -> str:
    """Trace and store one turn; its trace id."""
    trace_id, request = traced_turn(retrievals, **kw)
    store(request)
    return trace_id

"""Reading a turn's trace from the store: tool calls in start order, LLM calls, tokens and cost."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from workbench.core.evals.grading import TraceFacts
from workbench.core.evals.observation import ToolCall
from workbench.core.evals.retrieval import RETRIEVER_KIND, chunks_from_span, is_retriever


class StoreTraceSource:
    """Facts of traces as the collector stored them; waits briefly for late spans to land."""

    def __init__(self, db_path: Path | None = None, *, wait_s: float = 5.0) -> None:
        self.db_path = db_path
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    async def facts(self, trace_ids: list[str]) -> TraceFacts | None:
        """The combined facts of ``trace_ids``, or ``None`` if none reached the store in time."""
        return await asyncio.to_thread(self._facts, trace_ids)

    def close(self) -> None:
        """Close the read connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self):
        if self._conn is None:
            from workbench.store.db import connect

            self._conn = connect(self.db_path, check_same_thread=False).conn
        return self._conn

    def _facts(self, trace_ids: list[str]) -> TraceFacts | None:
        deadline = time.monotonic() + self.wait_s
        delay = 0.01
        while True:
            with self._lock:
                rows = self._rows(trace_ids)
            complete = {row[0] for row in rows if row[1] == "agent"} >= set(trace_ids)
            if complete or time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        if not rows:
            return None
        facts = TraceFacts()
        for trace_id, kind, name, tool, attributes, status, tokens_in, tokens_out, cost in rows:
            if kind not in {"tool", "llm"} and attributes and RETRIEVER_KIND in attributes:
                attrs = json.loads(attributes)
                if is_retriever(attrs):
                    facts.retrievals.setdefault(trace_id, []).extend(chunks_from_span(attrs))
            elif kind == "tool":
                facts.tool_calls.append(_tool_call(name, tool, attributes, status))
            elif kind == "llm":
                facts.llm_calls += 1
                facts.finish_reason = _finish_reason(attributes) or facts.finish_reason
                facts.input_tokens += tokens_in or 0
                facts.output_tokens += tokens_out or 0
            facts.cost_usd += cost or 0.0
        return facts

    def _rows(self, trace_ids: list[str]) -> list[tuple]:
        marks = ", ".join("?" for _ in trace_ids)
        sql = (
            "SELECT trace_id, kind, name, tool_name, attributes, status, input_tokens,"
            f" output_tokens, cost_usd FROM spans WHERE trace_id IN ({marks})"
            " ORDER BY start_ns, span_id"
        )
        return self._connection().execute(sql, [t.lower() for t in trace_ids]).fetchall()


def _finish_reason(attributes: str | None) -> str | None:
    """The span's ``gen_ai.response.finish_reasons`` (the last one), if it carries any."""
    if not attributes or "gen_ai.response.finish_reasons" not in attributes:
        return None
    value = json.loads(attributes).get("gen_ai.response.finish_reasons")
    if isinstance(value, list):
        return str(value[-1]) if value else None
    return str(value) if value else None


def _tool_call(name: str, tool: str | None, attributes: str, status: str) -> ToolCall:
    attrs: dict[str, Any] = json.loads(attributes or "{}")
    tool_name = tool or attrs.get("gen_ai.tool.name") or name.removeprefix("execute_tool ").strip()
    raw = attrs.get("gen_ai.tool.call.arguments")
    arguments: Any = raw
    if isinstance(raw, str):
        try:
            arguments = json.loads(raw)
        except ValueError:
            arguments = {}
    return ToolCall(
        name=str(tool_name),
        arguments=arguments if isinstance(arguments, dict) else {},
        status=status or "ok",
    )

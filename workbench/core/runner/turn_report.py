"""One turn's report (what ran, how it ended, its stored trace) and waiting for that trace."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict

from workbench.core.config import ModelSource
from workbench.core.runner.protocol import TurnOutcome
from workbench.core.tracemodels import TraceDetail


class TurnReport(BaseModel):
    """One turn end to end: what ran, how it ended, its stored trace, and a one-line error."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    project: str
    variant: str | None
    model: str
    model_source: ModelSource
    session_id: str
    outcome: TurnOutcome
    trace: TraceDetail | None = None
    error: str | None = None

    @property
    def result(self) -> dict[str, Any]:
        """The ``run_turn`` result, or an empty dict when the turn did not return."""
        return self.outcome.result or {}


def wait_for_trace(trace_id: str, *, timeout: float = 5.0) -> TraceDetail | None:
    """Poll the store until the trace's agent span is there; the trace so far after ``timeout``."""
    from workbench.store.db import connect
    from workbench.store.traces import get_trace

    db = connect()
    try:
        deadline = time.monotonic() + timeout
        detail = None
        while True:
            detail = get_trace(db, trace_id)
            if detail is not None and any(span.kind == "agent" for span in detail.spans):
                return detail
            if time.monotonic() > deadline:
                return detail
            time.sleep(0.05)
    finally:
        db.conn.close()

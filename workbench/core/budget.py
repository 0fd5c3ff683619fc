"""Budgets: the ``[budgets]`` limits of a project against the spend its stored traces record."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Literal

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.projects import Project
from workbench.core.tracemodels import SpendRow, TraceSummary
from workbench.store.traces import get_trace, list_traces, spend

LimitName = Literal[
    "tokens_per_request", "tokens_per_session", "usd_per_request", "usd_per_day", "usd_per_month"
]


class BudgetLine(BaseModel):
    """One limit: what it covers, how much of it is spent, and which alert thresholds it crossed."""

    name: LimitName
    unit: Literal["tokens", "usd"]
    scope: str
    limit: float | None
    spent: float
    share: float | None = None
    crossed: list[float] = Field(default_factory=list)

    @property
    def exceeded(self) -> bool:
        """Whether the spend reached the limit."""
        return self.share is not None and self.share >= 1.0


class BudgetReport(BaseModel):
    """Every limit of a project with its spend, plus this month's spend by model and variant."""

    project: str
    session_id: str | None
    request_trace_id: str | None
    thresholds: list[float]
    lines: list[BudgetLine]
    today: SpendRow
    month: SpendRow
    by_model: list[SpendRow]
    by_variant: list[SpendRow]
    # This month's spend by where it came from: real money apart from mock, replay and probes.
    by_source: list[SpendRow] = Field(default_factory=list)

    @property
    def alerts(self) -> list[BudgetLine]:
        """The limits that crossed at least one alert threshold."""
        return [line for line in self.lines if line.crossed]

    @property
    def exceeded(self) -> list[BudgetLine]:
        """The limits whose spend reached 100%."""
        return [line for line in self.lines if line.exceeded]


def day_start_ns(now: dt.datetime | None = None) -> int:
    """Local midnight today, in nanoseconds since the epoch."""
    now = (now or dt.datetime.now()).astimezone()
    return int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1e9)


def month_start_ns(now: dt.datetime | None = None) -> int:
    """Local midnight on the first of this month, in nanoseconds since the epoch."""
    now = (now or dt.datetime.now()).astimezone()
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(first.timestamp() * 1e9)


def _total(rows: list[SpendRow], key: str) -> SpendRow:
    return SpendRow(
        key=key,
        input_tokens=sum(row.input_tokens for row in rows),
        output_tokens=sum(row.output_tokens for row in rows),
        cached_tokens=sum(row.cached_tokens for row in rows),
        cost_usd=sum(row.cost_usd for row in rows),
        trace_count=sum(row.trace_count for row in rows),
    )


def _line(
    name: LimitName, scope: str, limit: float | None, spent: float, thresholds: list[float]
) -> BudgetLine:
    unit: Literal["tokens", "usd"] = "usd" if name.startswith("usd") else "tokens"
    share = spent / limit if limit else None
    crossed = [t for t in sorted(thresholds) if share is not None and share >= t]
    return BudgetLine(
        name=name, unit=unit, scope=scope, limit=limit, spent=spent, share=share, crossed=crossed
    )


def _request(
    db: Database | sqlite3.Connection, project: Project, trace_id: str | None
) -> TraceSummary | None:
    if trace_id:
        return get_trace(db, trace_id)
    latest = list_traces(db, project=project.name, limit=1)
    return latest[0] if latest else None


def budget_status(
    db: Database | sqlite3.Connection,
    project: Project,
    *,
    session_id: str | None = None,
    trace_id: str | None = None,
    now: dt.datetime | None = None,
) -> BudgetReport:
    """Spend against each ``[budgets]`` limit of ``project``.

    The request limits apply to ``trace_id`` (default: the project's latest
    trace); the session limit to ``session_id`` (default: that request's
    session); the day and month limits to local calendar days and months.
    """
    budgets = project.config.budgets
    thresholds = sorted(budgets.alert_thresholds)
    request = _request(db, project, trace_id)
    session_id = session_id or (request.session_id if request else None)
    today = _total(
        spend(db, project=project.name, group_by="variant", since_ns=day_start_ns(now)), "today"
    )
    month_rows = spend(db, project=project.name, group_by="variant", since_ns=month_start_ns(now))
    month = _total(month_rows, "month")
    session_tokens = 0
    if session_id:
        for row in spend(db, project=project.name, group_by="session"):
            if row.key == session_id:
                session_tokens = row.input_tokens + row.output_tokens
    request_scope = f"request {request.trace_id[:12]}" if request else "no request yet"
    request_tokens = (request.input_tokens + request.output_tokens) if request else 0
    lines = [
        _line(
            "tokens_per_request",
            request_scope,
            budgets.tokens_per_request,
            request_tokens,
            thresholds,
        ),
        _line(
            "usd_per_request",
            request_scope,
            budgets.usd_per_request,
            request.cost_usd if request else 0.0,
            thresholds,
        ),
        _line(
            "tokens_per_session",
            f"session {session_id}" if session_id else "no session",
            budgets.tokens_per_session,
            session_tokens,
            thresholds,
        ),
        _line("usd_per_day", "today", budgets.usd_per_day, today.cost_usd, thresholds),
        _line("usd_per_month", "this month", budgets.usd_per_month, month.cost_usd, thresholds),
    ]
    return BudgetReport(
        project=project.name,
        session_id=session_id,
        request_trace_id=request.trace_id if request else None,
        thresholds=thresholds,
        lines=lines,
        today=today,
        month=month,
        by_model=spend(db, project=project.name, group_by="model", since_ns=month_start_ns(now)),
        by_variant=month_rows,
        by_source=spend(db, project=project.name, group_by="source", since_ns=month_start_ns(now)),
    )

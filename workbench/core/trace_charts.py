"""Data series for the Traces charts: latency spread and percentiles, error rate, cost and tokens.

Every series covers the newest ``cap`` traces (10,000) in a start-time window (all time by
default), read newest first from the start-time index so a big store costs a
bounded read; ``TraceSeries.capped`` says when older traces were left out.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from pydantic import BaseModel, Field
from sqlite_utils import Database

from workbench.core.evals.stats import percentile
from workbench.store.summaries import newest_page

CAP = 10_000
SpendKey = Literal["model", "variant"]
# Bucket widths a time axis steps through (seconds): the first giving at most ``buckets``.
_STEPS_S = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400)


class TimeBucket(BaseModel):
    """Traces that started in ``[start_ns, start_ns + width)``: count, errors, p50 and p95."""

    start_ns: int
    traces: int
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def error_rate(self) -> float:
        """Errored traces over traces in the bucket."""
        return self.errors / self.traces if self.traces else 0.0


class HistogramBin(BaseModel):
    """Durations in ``[low_ms, high_ms)`` (the last bin includes its top)."""

    low_ms: float
    high_ms: float
    count: int


class SpendSeries(BaseModel):
    """One model's or variant's cost and tokens per bucket (zeros where it spent nothing)."""

    key: str
    cost_usd: list[float]
    tokens: list[int]


class TraceSeries(BaseModel):
    """What the Traces charts draw, over the same buckets."""

    bucket_s: int = 3600
    buckets: list[TimeBucket] = Field(default_factory=list)
    histogram: list[HistogramBin] = Field(default_factory=list)
    by_model: list[SpendSeries] = Field(default_factory=list)
    by_variant: list[SpendSeries] = Field(default_factory=list)
    traces: int = 0
    capped: bool = False


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db.conn if isinstance(db, Database) else db


def bucket_width(first_ns: int, last_ns: int, buckets: int = 40) -> int:
    """The narrowest step (a minute … a month) that spans ``first..last`` in ``buckets``."""
    span_s = max(1, (last_ns - first_ns) // 10**9 + 1)
    return next((step for step in _STEPS_S if span_s / step <= buckets), _STEPS_S[-1])


def histogram(durations_ms: list[float], bins: int = 20) -> list[HistogramBin]:
    """Equal-width bins from the fastest to the slowest duration."""
    if not durations_ms:
        return []
    low, high = min(durations_ms), max(durations_ms)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in durations_ms:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return [
        HistogramBin(low_ms=low + i * width, high_ms=low + (i + 1) * width, count=count)
        for i, count in enumerate(counts)
    ]


def trace_series(
    db: Database | sqlite3.Connection,
    *,
    project: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    buckets: int = 40,
    cap: int = CAP,
) -> TraceSeries:
    """Latency histogram; p50, p95 and error rate per bucket; cost and tokens by model, variant."""
    conn = _conn(db)
    where, params = _where(project, since_ns, until_ns)
    # Traces whose summaries are still pending after an export are summarized live.
    page = newest_page(
        "trace_id, start_ns, duration_ms, status, variant, cost_usd, input_tokens, output_tokens",
        where.removeprefix("WHERE ") or "1",
        "start_ns DESC, trace_id DESC",
    )
    rows = conn.execute(
        f"SELECT trace_id, start_ns, duration_ms, status, variant, cost_usd, "
        f"input_tokens + output_tokens FROM ({page})",
        [*params, cap + 1, *params, cap + 1, cap + 1],
    ).fetchall()
    capped = len(rows) > cap
    rows = rows[:cap]
    if not rows:
        return TraceSeries()
    first, last = rows[-1][1], rows[0][1]
    step = bucket_width(first, last, buckets)
    origin = first - first % (step * 10**9)
    count = (last - origin) // (step * 10**9) + 1

    def slot(start_ns: int) -> int:
        return (start_ns - origin) // (step * 10**9)

    durations: list[list[float]] = [[] for _ in range(count)]
    errors = [0] * count
    variants: dict[str, SpendSeries] = {}
    for _, start_ns, duration, status, variant, cost, tokens in rows:
        index = slot(start_ns)
        durations[index].append(duration)
        errors[index] += status == "error"
        key = variant or "(none)"
        series = variants.get(key)
        if series is None:
            series = variants[key] = SpendSeries(
                key=key, cost_usd=[0.0] * count, tokens=[0] * count
            )
        series.cost_usd[index] += cost or 0.0
        series.tokens[index] += tokens or 0
    time_buckets = [
        TimeBucket(
            start_ns=origin + i * step * 10**9,
            traces=len(values),
            errors=errors[i],
            p50_ms=percentile(values, 50) or 0.0,
            p95_ms=percentile(values, 95) or 0.0,
        )
        for i, values in enumerate(durations)
    ]
    return TraceSeries(
        bucket_s=step,
        buckets=time_buckets,
        histogram=histogram([row[2] for row in rows]),
        by_model=_by_model(conn, [row[0] for row in rows], origin, step, count),
        by_variant=sorted(variants.values(), key=lambda s: -sum(s.cost_usd)),
        traces=len(rows),
        capped=capped,
    )


def _where(
    project: str | None, since_ns: int | None, until_ns: int | None
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for clause, value in (
        ("service = ?", project),
        ("start_ns >= ?", since_ns),
        ("start_ns < ?", until_ns),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _by_model(
    conn: sqlite3.Connection, trace_ids: list[str], origin: int, step: int, count: int
) -> list[SpendSeries]:
    """Cost and tokens of these traces' model calls per model, bucketed by the call's start."""
    found: dict[str, SpendSeries] = {}
    # Chunks keep the bound parameters under SQLite's limit; each id is a primary-key seek.
    for offset in range(0, len(trace_ids), 500):
        chunk = trace_ids[offset : offset + 500]
        marks = ", ".join("?" for _ in chunk)
        for model, start_ns, cost, tokens in conn.execute(
            "SELECT COALESCE(model, '(unknown)'), start_ns, cost_usd, "
            "COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) FROM spans "
            f"WHERE trace_id IN ({marks}) AND kind = 'llm'",
            chunk,
        ):
            index = min(count - 1, max(0, (start_ns - origin) // (step * 10**9)))
            series = found.get(model)
            if series is None:
                series = found[model] = SpendSeries(
                    key=model, cost_usd=[0.0] * count, tokens=[0] * count
                )
            series.cost_usd[index] += cost or 0.0
            series.tokens[index] += tokens
    return sorted(found.values(), key=lambda s: (-sum(s.cost_usd), -sum(s.tokens), s.key))

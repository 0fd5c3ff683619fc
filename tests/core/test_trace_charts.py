"""The Traces charts' series: buckets, percentiles, error rate, histogram, spend by key."""

from __future__ import annotations

import pytest

from tests.tui.tracedata import MS, T0, store_spans, support_turn
from workbench.core.trace_charts import bucket_width, histogram, trace_series
from workbench.store.db import connect

HOUR = 3600 * 10**9


@pytest.fixture
def db():
    # Three turns in the first hour (one errors), one two hours later on another model.
    for n, at in ((1, 0), (2, 60_000), (3, 120_000)):
        store_spans(support_turn(n, start_ns=T0 + at * MS, error=n == 2))
    store_spans(support_turn(4, start_ns=T0 + 2 * HOUR, model="gpt-4o"), "billing-bot")
    database = connect()
    yield database
    database.conn.close()


def test_buckets_hold_counts_errors_and_percentiles(db):
    series = trace_series(db)
    assert series.traces == 4 and not series.capped
    assert series.bucket_s == 300  # two hours in at most 40 buckets: five minutes each
    filled = [b for b in series.buckets if b.traces]
    assert [(b.traces, b.errors) for b in filled] == [(3, 1), (1, 0)]
    assert filled[0].error_rate == pytest.approx(1 / 3)
    assert filled[0].p50_ms == pytest.approx(900) and filled[0].p95_ms == pytest.approx(900)
    assert series.buckets[1].traces == 0  # gaps are kept, so the time axis is even


def test_filters_exclude_rows(db):
    assert trace_series(db, project="billing-bot").traces == 1
    assert trace_series(db, since_ns=T0 + HOUR).traces == 1
    assert trace_series(db, until_ns=T0 + 60_000 * MS).traces == 1
    assert trace_series(db, project="nobody").buckets == []


def test_the_cap_keeps_the_newest_and_says_so(db):
    series = trace_series(db, cap=2)
    assert series.traces == 2 and series.capped
    assert series.buckets[-1].start_ns <= T0 + 2 * HOUR


def test_spend_by_model_and_variant(db):
    series = trace_series(db)
    by_model = {s.key: s for s in series.by_model}
    assert set(by_model) == {"gpt-4o-mini", "gpt-4o"}
    assert sum(by_model["gpt-4o-mini"].tokens) == 3 * (420 + 35 + 510 + 60)
    assert sum(by_model["gpt-4o"].cost_usd) == pytest.approx(0.000084 + 0.000113)
    assert [s.key for s in series.by_variant] == ["baseline"]
    assert len(series.by_variant[0].cost_usd) == len(series.buckets)


def test_histogram_and_bucket_width():
    bins = histogram([10, 20, 30, 110], bins=4)
    assert [b.count for b in bins] == [3, 0, 0, 1]
    assert bins[0].low_ms == 10 and bins[-1].high_ms == pytest.approx(110)
    assert histogram([]) == []
    assert [b.count for b in histogram([5, 5], bins=2)] == [2, 0]
    assert bucket_width(0, 10 * 60 * 10**9) == 60
    assert bucket_width(0, 30 * 86_400 * 10**9) == 86_400

"""The writer's own counters: what it committed, what it refused, and its thread's CPU."""

from __future__ import annotations

import threading

import pytest

from workbench.store.writer import BatchWriter


def _busy_write(db, items: list[int]) -> None:
    if -1 in items:
        raise ValueError("refused")
    sum(range(200_000))  # real work, so the thread's CPU time moves


def test_stats_count_committed_batches_and_their_cpu(tmp_path):
    with BatchWriter(_busy_write, path=tmp_path / "w.db") as writer:
        assert writer.write([1, 2, 3]) == 3
        assert writer.write([4]) == 1
        with pytest.raises(ValueError):
            writer.write([-1])
        stats = writer.stats()
    assert stats["batches"] == 2  # the refused batch is not counted as committed
    assert stats["items"] == 4
    assert stats["write_cpu_seconds"] > 0
    assert stats["deferred_runs"] == 0  # no deferred work configured


def test_stats_count_deferred_runs(tmp_path):
    ran = threading.Event()

    def after(db) -> None:
        sum(range(200_000))
        ran.set()

    writer = BatchWriter(lambda db, items: None, path=tmp_path / "w.db", after=after)
    try:
        assert ran.wait(10)  # owed at start
        ran.clear()
        writer.write([1])
        assert ran.wait(10)  # and after the batch, once idle
    finally:
        writer.close()
    stats = writer.stats()
    assert stats["deferred_runs"] >= 2
    assert stats["deferred_cpu_seconds"] > 0
    assert stats["batches"] == 1

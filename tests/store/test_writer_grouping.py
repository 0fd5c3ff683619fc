"""Grouping submits under load: an announced submit joins the transaction being gathered."""

from __future__ import annotations

import concurrent.futures

import pytest

from workbench.store.writer import BatchWriter


def _recording(batches: list[list[int]]):
    def write(db, items: list[int]) -> None:
        batches.append(list(items))

    return write


def test_an_announced_submit_joins_the_transaction_being_gathered(tmp_path):
    batches: list[list[int]] = []
    with BatchWriter(
        _recording(batches), path=tmp_path / "w.db", group_items=100, group_wait=60.0
    ) as writer:
        with writer.coming():  # another export is being decoded
            first = writer.submit([1])
            # The writer holds [1] and waits for the announced submit instead of committing.
            with pytest.raises(concurrent.futures.TimeoutError):
                first.result(timeout=0.3)
            second = writer.submit([2])
        assert first.result(timeout=30) == 1
        assert second.result(timeout=30) == 1
    assert batches == [[1, 2]]


def test_nothing_announced_commits_at_once(tmp_path):
    batches: list[list[int]] = []
    with BatchWriter(
        _recording(batches), path=tmp_path / "w.db", group_items=100, group_wait=60.0
    ) as writer:
        # Waiting for group_wait (60 s) would time this out.
        assert writer.write([1], timeout=30) == 1
        with writer.coming():
            pass  # announced, then dropped (an export that failed to decode)
        assert writer.write([2], timeout=30) == 1
    assert batches == [[1], [2]]


def test_a_full_group_commits_without_waiting_for_the_announced(tmp_path):
    batches: list[list[int]] = []
    with (
        BatchWriter(
            _recording(batches), path=tmp_path / "w.db", group_items=2, group_wait=60.0
        ) as writer,
        writer.coming(),
    ):
        assert writer.write([1, 2], timeout=30) == 2
    assert batches == [[1, 2]]

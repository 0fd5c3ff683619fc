"""One writer thread per process that commits items to SQLite in batches.

Readers may open as many connections as they like; every write goes through a
``BatchWriter`` so there is one writer, few transactions, and back-pressure
(``submit`` refuses work when the queue is full) instead of unbounded memory.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Generic, TypeVar

from sqlite_utils import Database

from workbench.store.db import connect

T = TypeVar("T")
logger = logging.getLogger(__name__)

_STOP = object()


@dataclasses.dataclass
class WriterStats:
    """Counters kept by the writer thread (plain fields: readers see a recent value)."""

    batches: int = 0  # transactions committed
    items: int = 0  # items in them
    write_cpu_seconds: float = 0.0  # writer thread CPU in those transactions, failed ones too
    deferred_runs: int = 0  # runs of the deferred work, failed ones too
    deferred_cpu_seconds: float = 0.0  # writer thread CPU in them


class QueueFull(Exception):
    """The writer's queue is full; the caller should retry later."""


class BatchWriter(Generic[T]):
    """Commit submitted items through ``write_batch`` on a single dedicated connection.

    Each ``submit`` returns a future that resolves once the items are committed
    (or fails with the error that prevented it), so a caller can acknowledge
    only what was really stored.

    ``after`` is deferred work on the same connection (its own transactions): it
    runs once batches were committed and the queue stayed empty for
    ``idle_wait`` seconds, or, under sustained load, once ``max_lag`` seconds
    passed since the first batch it has not covered or ``max_owed`` items were
    committed since it last ran; and before the writer stops. It runs again after
    a failure only once another batch commits.

    A transaction gathers what is queued within ``max_delay`` seconds.
    """

    def __init__(
        self,
        write_batch: Callable[[Database, list[T]], None],
        *,
        path: Path | None = None,
        max_batch: int = 2048,
        max_delay: float = 0.02,
        max_queue: int = 256,
        name: str = "workbench-writer",
        after: Callable[[Database], object] | None = None,
        max_lag: float = 0.25,
        idle_wait: float = 0.005,
        max_owed: int | None = None,
    ) -> None:
        self._write_batch = write_batch
        self._after = after
        self._idle_wait = idle_wait
        self._max_lag = max_lag
        self._max_owed = max_owed
        self._path = path
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._stats = WriterStats()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def submit(
        self, items: Sequence[T], *, block: bool = False, count: int | None = None
    ) -> Future[int]:
        """Queue ``items`` for writing; raises ``QueueFull`` when the queue is full.

        ``count``: what the items stand for in batch sizes and statistics, when that is not
        their number (one item holding many rows); the future resolves to it.
        """
        future: Future[int] = Future()
        size = len(items) if count is None else count
        try:
            self._queue.put((list(items), future, size), block=block)
        except queue.Full:
            raise QueueFull("the writer's queue is full") from None
        return future

    def stats(self) -> dict[str, float | int]:
        """What the writer thread has done so far: batches committed, items in them, deferred
        runs, and the thread's own CPU seconds in both (a figure other load barely moves)."""
        return dataclasses.asdict(self._stats)

    def write(self, items: Sequence[T], timeout: float | None = 30.0) -> int:
        """Write ``items`` and wait until they are committed."""
        return self.submit(items, block=True).result(timeout=timeout)

    def close(self) -> None:
        """Write everything still queued, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def __enter__(self) -> BatchWriter[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        try:
            db = connect(self._path, check_same_thread=True)
        except BaseException as error:  # reported to the constructor's caller
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        stopping = False
        # Since when deferred work has been owed (None: none); a previous run may have left some.
        owed: float | None = time.monotonic() if self._after is not None else None
        owed_items = 0  # items committed since the deferred work last ran
        while not stopping:
            if owed is None:
                first = self._queue.get()
            else:
                # A batch arriving within idle_wait is written first: the deferred work then
                # covers both (one refresh per trace, fewer pages written again).
                wait = min(self._idle_wait, owed + self._max_lag - time.monotonic())
                try:
                    first = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    self._catch_up(db)
                    owed, owed_items = None, 0
                    continue
            if first is _STOP:
                break
            pending = [first]
            count = first[2]
            started = time.monotonic()
            while count < self._max_batch:
                timeout = started + self._max_delay - time.monotonic()
                try:
                    item = (
                        self._queue.get(timeout=max(timeout, 0))
                        if timeout > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                pending.append(item)
                count += item[2]
            owed_items += self._commit(db, pending)
            if self._after is not None:
                if owed is None:
                    owed = time.monotonic()
                if time.monotonic() - owed > self._max_lag or (
                    self._max_owed is not None and owed_items >= self._max_owed
                ):
                    self._catch_up(db)
                    owed, owed_items = None, 0
        if owed is not None:
            self._catch_up(db)
        db.conn.close()

    def _catch_up(self, db: Database) -> None:
        """Run the deferred work; a failure leaves it for after the next batch."""
        assert self._after is not None
        started = time.thread_time()
        try:
            self._after(db)
        except Exception:
            logger.exception("deferred work after a batch failed; it is retried after the next")
            if db.conn.in_transaction:
                db.conn.rollback()
        finally:
            self._stats.deferred_runs += 1
            self._stats.deferred_cpu_seconds += time.thread_time() - started

    def _commit(self, db: Database, pending: list[tuple[list[T], Future[int], int]]) -> int:
        """Write ``pending`` in one transaction and settle their futures; the items committed
        (as counted by ``submit``)."""
        started = time.thread_time()
        rows = [row for items, _, _ in pending for row in items]
        try:
            with db.conn:
                self._write_batch(db, rows)
        except BaseException as error:
            for _, future, _ in pending:
                future.set_exception(error)
            return 0
        finally:
            self._stats.write_cpu_seconds += time.thread_time() - started
        committed = sum(size for _, _, size in pending)
        self._stats.batches += 1
        self._stats.items += committed
        for _, future, size in pending:
            future.set_result(size)
        return committed

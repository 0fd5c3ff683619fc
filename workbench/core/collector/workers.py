"""Decoding and normalizing large exports in worker processes, beside the receiver's own.

Protobuf decoding and normalization are the largest CPU cost per span. Done in
the receiver's process, they share one interpreter lock with HTTP and the
SQLite writer; in workers they run on the other core(s) while the receiver's
process only serves HTTP and writes. Rows come back marshalled (tuples of str,
int, float and None), which is several times cheaper than pickling them.
"""

from __future__ import annotations

import asyncio
import gc
import marshal
import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from workbench.core.collector.decode import RequestError, decode_request
from workbench.core.collector.normalize import Normalized, normalize_request
from workbench.core.collector.overrides import PricingOverrides

# A worker's answer: (0, marshalled rows, rejected, errors) or (HTTP status, message).
Result = tuple
Work = Callable[[bytes, str], Result]

_overrides: PricingOverrides | None = None


class WorkerFailed(Exception):
    """A worker process died or failed, so the export was not normalized (answer 503)."""


def _start_worker(projects_dir: str | None) -> None:
    """Worker initializer: Ctrl+C is the receiver's to handle; load prices before the first job."""
    global _overrides
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _overrides = PricingOverrides(Path(projects_dir) if projects_dir else None)
    from workbench.core.pricing import price_map

    price_map()
    # Modules and prices live as long as the worker: keep the collector from scanning them.
    gc.freeze()


def normalize_body(body: bytes, media: str) -> Result:
    """Decode and normalize one export body, in a worker; see ``Result``."""
    try:
        message = decode_request(body, media)
    except RequestError as error:
        return (error.status, error.message)
    normalized = normalize_request(message, _overrides)
    return (0, marshal.dumps(normalized.rows), normalized.rejected, normalized.errors)


def unpack(result: Result) -> Normalized:
    """The ``Normalized`` a worker's answer stands for; ``RequestError`` if it refused the body."""
    if result[0]:
        raise RequestError(result[0], result[1])
    _, rows, rejected, errors = result
    return Normalized(rows=marshal.loads(rows), rejected=rejected, errors=errors)


class NormalizePool:
    """Worker processes, started on first use and restarted after one dies.

    A job whose worker dies fails with ``WorkerFailed``; so does a job that
    would take the bodies waiting for a worker past ``max_pending_bytes``,
    which bounds the memory they hold (the caller answers 503, retry later).
    """

    def __init__(
        self,
        workers: int,
        *,
        projects_dir: Path | None = None,
        max_pending_bytes: int = 256 * 1024 * 1024,
        work: Work = normalize_body,
    ) -> None:
        self.workers = workers
        self._projects_dir = str(projects_dir) if projects_dir else None
        self._max_pending_bytes = max_pending_bytes
        self._work = work
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending_bytes = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    # Never fork: the receiver's process has threads (the writer, uvicorn).
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._projects_dir,),
                )
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    async def normalize(self, body: bytes, media: str) -> Normalized:
        """The body's rows; ``RequestError`` when undecodable, ``WorkerFailed`` when not done."""
        size = len(body)
        # One body is always let through, however large, so no export waits forever.
        if self._pending_bytes and self._pending_bytes + size > self._max_pending_bytes:
            raise WorkerFailed("too many exports waiting to be decoded")
        self._pending_bytes += size
        try:
            result = await self._run(body, media)
        finally:
            self._pending_bytes -= size
        return unpack(result)

    async def _run(self, body: bytes, media: str) -> Result:
        executor = self._pool()
        try:
            return await asyncio.wrap_future(executor.submit(self._work, body, media))
        except BrokenProcessPool:
            self._discard(executor)
            raise WorkerFailed("a worker process died while decoding the export") from None
        except RuntimeError as error:  # submitted while shutting down
            raise WorkerFailed(str(error)) from None

    def close(self) -> None:
        """Stop the workers (waiting for the jobs they are running)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

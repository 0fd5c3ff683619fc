"""Decoding and normalizing large exports in worker processes, beside the receiver's own.

Protobuf decoding and normalization are the largest CPU cost per span. Done in
the receiver's process, they share one interpreter lock with HTTP and the
SQLite writer; in workers they run on the other core(s) while the receiver's
process only serves HTTP and writes. Rows come back as the image of an in-memory
SQLite database (``staging.py``), copied into ``spans`` inside SQLite; where SQLite
cannot serialize, as marshalled tuples (several times cheaper than pickling them).

Workers are plain ``python -m workbench.core.collector.worker`` children
speaking length-prefixed frames over their stdin and stdout, not
multiprocessing's: its spawn method re-imports the host's ``__main__`` (the
collector also runs inside the TUI, ``dev`` and other people's scripts), and its
pool workers outlive a killed parent. These see end-of-file and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import marshal
import os
import queue
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from workbench.core.collector import staging
from workbench.core.collector.decode import JSON, PROTOBUF, RequestError, decode_request
from workbench.core.collector.normalize import Normalized, OverridesFor, normalize_request

# A worker's answer: (0, rows, rejected, errors), (0, (image, count), rejected, errors) when
# its rows are staged, or (HTTP status, message).
Result = tuple
MEDIA_CODES = {PROTOBUF: 0, JSON: 1}
MEDIA_NAMES = {code: media for media, code in MEDIA_CODES.items()}
READY = b"R"  # a worker's first byte: imports done, prices loaded
JOB_HEADER = struct.Struct("<IB")  # body length, media code
RESULT_HEADER = struct.Struct("<I")  # marshalled result length
WORKER_MODULE = "workbench.core.collector.worker"


class WorkerFailed(Exception):
    """A worker process died, hung or failed, so the export was not normalized (answer 503)."""


class WorkersUnavailable(WorkerFailed):
    """Worker processes cannot start here at all: decode in the receiver's process instead."""


def normalize_body(
    body: bytes,
    media: str,
    overrides_for: OverridesFor | None = None,
    *,
    stage_rows: bool = staging.SUPPORTED,
) -> Result:
    """Decode and normalize one export body, in a worker; see ``Result``.

    With ``stage_rows`` the rows come back as a staged image (``staging.py``).
    """
    try:
        message = decode_request(body, media)
    except RequestError as error:
        return (error.status, error.message)
    normalized = normalize_request(message, overrides_for)
    if stage_rows and normalized.rows:
        staged = staging.stage(normalized.rows)
        payload: list | tuple = (staged.image, staged.count)
    else:
        payload = normalized.rows
    return (0, payload, normalized.rejected, normalized.errors)


def unpack(result: Result) -> Normalized:
    """The ``Normalized`` a worker's answer stands for; ``RequestError`` if it refused the body."""
    if result[0]:
        raise RequestError(result[0], result[1])
    _, payload, rejected, errors = result
    if isinstance(payload, tuple):
        staged = staging.StagedSpans(*payload)
        return Normalized(rejected=rejected, errors=errors, staged=staged)
    return Normalized(rows=payload, rejected=rejected, errors=errors)


def read_exact(stream: IO[bytes], size: int) -> bytes:
    """Exactly ``size`` bytes from ``stream``; ``EOFError`` if it ends first."""
    # A raw (unbuffered) pipe may return None, or fewer bytes than asked, before the rest arrives.
    data: bytes | None = stream.read(size)
    if data is None or len(data) < size:
        chunks = [data or b""]
        have = len(chunks[0])
        while have < size:
            chunk = stream.read(size - have)
            if not chunk:
                raise EOFError("the stream ended mid-frame")
            chunks.append(chunk)
            have += len(chunk)
        data = b"".join(chunks)
    return data


class _Worker:
    """One worker process and the one job it runs at a time (from one pool thread)."""

    def __init__(self, command: list[str], env: dict[str, str], timeout: float) -> None:
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Tracebacks would land on the TUI's screen; failures are answered instead.
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError as error:
            raise WorkersUnavailable(f"could not start a worker process: {error}") from None
        assert self.process.stdout is not None
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        try:
            ready = read_exact(self.process.stdout, len(READY))
        except (OSError, EOFError):
            ready = b""
        finally:
            watchdog.cancel()
        if ready != READY:
            self.close()
            raise WorkersUnavailable("a worker process could not start")

    def run(self, body: bytes, media: str, timeout: float) -> Result:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        watchdog = threading.Timer(timeout, self.process.kill)
        watchdog.start()
        try:
            stdin.write(JOB_HEADER.pack(len(body), MEDIA_CODES[media]))
            stdin.write(body)
            stdin.flush()
            (size,) = RESULT_HEADER.unpack(read_exact(stdout, RESULT_HEADER.size))
            return marshal.loads(read_exact(stdout, size))
        except (OSError, EOFError, ValueError, struct.error) as error:
            self.close()
            reason = "hung and was stopped" if not watchdog.is_alive() else "died"
            raise WorkerFailed(f"a worker process {reason} while decoding the export") from error
        finally:
            watchdog.cancel()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the process: end-of-file first, so it exits on its own; a kill if it lingers."""
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class NormalizePool:
    """Worker processes, started in the background by ``start`` and again after one dies.

    Until a worker is ``ready`` the receiver decodes in its own process, so no
    export waits for interpreters to start. A job whose worker dies, or runs
    longer than ``timeout`` seconds, fails with ``WorkerFailed``; so does a job
    that would take the bodies waiting for a worker past ``max_pending_bytes``,
    which bounds the memory they hold.
    """

    def __init__(
        self,
        workers: int,
        *,
        projects_dir: Path | None = None,
        max_pending_bytes: int = 256 * 1024 * 1024,
        timeout: float = 60.0,
        command: list[str] | None = None,
    ) -> None:
        self.workers = workers
        self._command = command or [
            sys.executable,
            "-m",
            WORKER_MODULE,
            str(projects_dir) if projects_dir else "",
        ]
        self._max_pending_bytes = max_pending_bytes
        self._timeout = timeout
        self._threads: ThreadPoolExecutor | None = None
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        self._started: list[_Worker] = []
        self._lock = threading.Lock()
        self._starter: threading.Thread | None = None
        self._closed = False
        self._pending_bytes = 0
        self.started = 0  # worker processes started so far, restarts included
        # False once a worker could not even start (a broken install, no executable):
        # the receiver then decodes everything itself rather than refusing every export.
        self.available = True

    @property
    def ready(self) -> bool:
        """Whether a worker process has started and can take jobs."""
        return self.started > 0

    @property
    def alive(self) -> int:
        """How many of the started worker processes are still running."""
        with self._lock:
            return sum(1 for worker in self._started if worker.alive)

    def start(self) -> None:
        """Start the worker processes in a background thread (once; later calls do nothing)."""
        with self._lock:
            if self._starter is not None or self._closed:
                return
            self._starter = threading.Thread(
                target=self._start_all, name="workbench-collector-workers-start", daemon=True
            )
        self._starter.start()

    def _start_all(self) -> None:
        for count in range(self.workers):
            try:
                worker = self._spawn()
            except WorkersUnavailable:
                worker = None
            if worker is None:
                # Wake every job waiting for a worker that will never come.
                for _ in range(self.workers - count):
                    self._idle.put(None)
                return
            self._idle.put(worker)

    def _env(self) -> dict[str, str]:
        # The worker imports what this process imports, from the same places.
        paths = [path for path in sys.path if path]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    def _spawn(self) -> _Worker | None:
        """A new worker process, counted; ``None`` when the pool closed meanwhile."""
        try:
            worker = _Worker(self._command, self._env(), self._timeout)
        except WorkersUnavailable:
            self.available = False
            raise
        with self._lock:
            closed = self._closed
            if not closed:
                self._started = [*(w for w in self._started if w.alive), worker]
                self.started += 1
        if closed:
            worker.close()
            return None
        return worker

    def _job(self, body: bytes, media: str) -> Result:
        """Run in a pool thread: the next idle worker decodes the body."""
        self.start()
        worker = self._idle.get()
        if worker is None:
            self._idle.put(None)
            raise WorkersUnavailable("worker processes could not start")
        try:
            if not worker.alive:
                replacement = self._spawn()
                if replacement is None:
                    raise WorkerFailed("the collector is stopping")
                worker = replacement
            return worker.run(body, media, self._timeout)
        finally:
            # A dead worker goes back too: the next job starts its replacement.
            self._idle.put(worker)

    async def normalize(self, body: bytes, media: str) -> Normalized:
        """The body's rows; ``RequestError`` when undecodable, ``WorkerFailed`` when not done."""
        size = len(body)
        # One body is always let through, however large, so no export waits forever.
        if self._pending_bytes and self._pending_bytes + size > self._max_pending_bytes:
            raise WorkerFailed("too many exports waiting to be decoded")
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.workers, "workbench-collector-worker")
            threads = self._threads
        self._pending_bytes += size
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                threads, self._job, body, media
            )
        except RuntimeError as error:  # submitted while shutting down
            raise WorkerFailed(str(error)) from None
        finally:
            self._pending_bytes -= size
        return unpack(result)

    def close(self) -> None:
        """Let running jobs finish, then end every worker process."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, None
            starter = self._starter
        if starter is not None:
            starter.join()
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            started, self._started = self._started, []
        for worker in started:
            worker.close()

"""The eval engine: each case × variant × repeat through a turn runner, graded, into SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from workbench.core.evals.grading import TraceSource, attach_trace, grade_case
from workbench.core.evals.loader import iter_cases
from workbench.core.evals.observation import GradingServices
from workbench.core.evals.pacing import Pacer, RateLimits
from workbench.core.evals.progress import (
    Counts,
    ProgressListener,
    RateLimited,
    ResultRecorded,
    RunFinished,
    RunStarted,
)
from workbench.core.evals.shards import Shard, stored_shard
from workbench.core.evals.spec import Case, EvalSet
from workbench.core.evals.variants import Variant
from workbench.store.evals import completed_keys, result_counts, result_tuple, write_items
from workbench.store.writer import BatchWriter, QueueFull

_RATE_LIMIT = re.compile(r"\b429\b|rate.?limit", re.IGNORECASE)
_RETRY_AFTER = re.compile(r"retry[- _]after\D{0,3}(\d+(?:\.\d+)?)", re.IGNORECASE)
HEARTBEAT_S = 2.0


class TurnRunner(Protocol):
    """Runs one agent turn: a ``WorkerPool``, or any fake with the same ``run``."""

    async def run(self, request: dict[str, Any], *, timeout: float | None = None) -> Any: ...


@dataclass(frozen=True)
class ModelTarget:
    """Where a variant's model answers: the litellm model string, its api base, its lane."""

    model: str | None = None
    api_base: str | None = None
    source: str = "mock"
    # Variants on the same lane share one concurrency limit and one 429 cool-down.
    lane: str = "mock"
    concurrency: int = 8
    # The environment variable holding the key for ``api_base`` (its name, never its value).
    api_key_env: str | None = None


@dataclass
class RetryPolicy:
    """How 429s are retried: Retry-After when the error gives one, else exponential backoff."""

    attempts: int = 5
    base_s: float = 1.0
    max_s: float = 60.0


@dataclass
class RunPlan:
    """One run to perform: its id, the set, the variants, the repeats and where the project is."""

    run_id: str
    project: str
    project_path: Path
    evalset: EvalSet
    variants: list[Variant]
    repeat: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    resume: bool = False

    @property
    def shard(self) -> Shard | None:
        """The shard this run covers (``options["shard"]``), or None for the whole plan."""
        return stored_shard(self.options)

    @cached_property
    def total(self) -> int:
        """Results the run has when complete: cases × variants × repeats (of its shard)."""
        shard = self.shard
        if shard is None:
            return self.evalset.case_count * len(self.variants) * self.repeat
        return sum(
            shard.holds(case.id, variant.name, repeat)
            for case in iter_cases(self.evalset)
            for variant in self.variants
            for repeat in range(self.repeat)
        )


@dataclass(slots=True)
class _Item:
    index: int
    case: Case
    variant: Variant
    repeat: int


class EvalEngine:
    """Runs plans through a ``TurnRunner``; results go to the store through one ``BatchWriter``."""

    def __init__(
        self,
        runner: TurnRunner,
        *,
        targets: dict[str, ModelTarget] | None = None,
        traces: TraceSource | None = None,
        services: GradingServices | None = None,
        listener: ProgressListener | None = None,
        db_path: Path | None = None,
        retry: RetryPolicy | None = None,
        turn_timeout: float | None = None,
    ) -> None:
        self.runner = runner
        self.targets = targets or {}
        self.traces = traces
        self.services = services
        self.listener = listener or (lambda event: None)
        self.db_path = db_path
        self.retry = retry or RetryPolicy()
        self.turn_timeout = turn_timeout
        self._resume_at: dict[str, float] = {}
        self._pacer: Pacer | None = None

    async def run(self, plan: RunPlan) -> Counts:
        """Run every missing (case, variant, repeat) of ``plan``; returns the final counts."""
        writer: BatchWriter = BatchWriter(write_items, path=self.db_path, name="eval-writer")
        try:
            return await self._run(plan, writer)
        finally:
            await asyncio.to_thread(writer.close)

    async def _run(self, plan: RunPlan, writer: BatchWriter) -> Counts:
        done_keys: set[tuple[str, str, int]] = set()
        self._counts = Counts(total=plan.total)
        if plan.resume:
            from workbench.store.db import connect

            db = connect(self.db_path)
            done_keys = completed_keys(db, plan.run_id)
            # The whole run's figures, so a resumed run's pass rate and spend count old results.
            stored = result_counts(db, plan.run_id)
            db.conn.close()
            self._counts = Counts(
                total=plan.total,
                done=len(done_keys),
                passed=stored["passed"],
                failed=stored["failed"],
                errors=stored["errors"],
                spend_usd=stored["cost_usd"],
            )
            writer.write([("claim", plan.run_id)])
        else:
            writer.write([("run", self._run_row(plan))])
        self._started = time.perf_counter()
        self._write_error: BaseException | None = None
        limits = RateLimits.from_options(plan.options)
        if limits is not None:
            self._pacer = Pacer(limits.share(plan.shard.count if plan.shard else 1))
        self.listener(
            RunStarted(
                plan.run_id,
                plan.evalset.name,
                tuple(v.name for v in plan.variants),
                self._counts,
                resumed=plan.resume,
            )
        )
        lanes: dict[str, list[Variant]] = {}
        for variant in plan.variants:
            lanes.setdefault(self._target(variant).lane, []).append(variant)
        heartbeat = asyncio.create_task(self._heartbeat(plan.run_id, writer))
        status, message = "complete", ""
        try:
            workers = []
            for variants in lanes.values():
                items = self._items(plan, variants, done_keys)
                size = plan.options.get("concurrency") or self._target(variants[0]).concurrency
                workers += [self._worker(plan, items, writer) for _ in range(int(size))]
            await asyncio.gather(*workers)
            if self._write_error is not None:
                status, message = "failed", f"writing results failed: {self._write_error}"
        except asyncio.CancelledError:
            status, message = "interrupted", "cancelled"
            raise
        except BaseException as error:
            status, message = "failed", f"{type(error).__name__}: {error}"
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            finished = datetime.now(UTC).isoformat(timespec="seconds")
            await asyncio.to_thread(writer.write, [("status", (plan.run_id, status, finished))])
            self.listener(RunFinished(plan.run_id, status, self._snapshot(), message))
        return self._snapshot()

    def _run_row(self, plan: RunPlan) -> dict[str, Any]:
        return {
            "id": plan.run_id,
            "project": plan.project,
            "project_path": str(plan.project_path),
            "set_name": plan.evalset.name,
            "set_path": str(plan.evalset.path),
            "set_digest": plan.evalset.digest,
            "variants": json.dumps([v.model_dump() for v in plan.variants]),
            "repeat": plan.repeat,
            "total": plan.total,
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "heartbeat_at": time.time(),
            "finished_at": None,
            "options": json.dumps(plan.options, default=str),
        }

    def _target(self, variant: Variant) -> ModelTarget:
        return self.targets.get(variant.name) or ModelTarget(model=variant.model)

    def _items(
        self, plan: RunPlan, variants: list[Variant], done: set[tuple[str, str, int]]
    ) -> Iterator[_Item]:
        shard = plan.shard
        for index, case in enumerate(iter_cases(plan.evalset)):
            for variant in variants:
                for repeat in range(plan.repeat):
                    if shard is not None and not shard.holds(case.id, variant.name, repeat):
                        continue
                    if (case.id, variant.name, repeat) not in done:
                        yield _Item(index, case, variant, repeat)

    async def _heartbeat(self, run_id: str, writer: BatchWriter) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            with contextlib.suppress(QueueFull):
                writer.submit([("heartbeat", run_id)])

    async def _worker(self, plan: RunPlan, items: Iterator[_Item], writer: BatchWriter) -> None:
        for item in items:
            row = await self._evaluate(plan, item)
            await self._store(writer, row)
            self._record(plan, item, row)

    async def _store(self, writer: BatchWriter, row: dict[str, Any]) -> None:
        payload = [("result", result_tuple(row))]
        while True:
            try:
                future = writer.submit(payload)
                break
            except QueueFull:
                await asyncio.sleep(0.005)
        future.add_done_callback(self._check_write)

    def _check_write(self, future) -> None:
        if future.exception() is not None and self._write_error is None:
            self._write_error = future.exception()

    def _record(self, plan: RunPlan, item: _Item, row: dict[str, Any]) -> None:
        c = self._counts
        status = row["status"]
        self._counts = Counts(
            total=c.total,
            done=c.done + 1,
            passed=c.passed + (status == "pass"),
            failed=c.failed + (status == "fail"),
            errors=c.errors + (status == "error"),
            spend_usd=c.spend_usd + (row["cost_usd"] or 0.0),
            elapsed_s=time.perf_counter() - self._started,
            done_here=c.done_here + 1,
        )
        self.listener(
            ResultRecorded(
                plan.run_id,
                item.case.id,
                item.variant.name,
                item.repeat,
                item.case.category,
                status,
                row["score"],
                row["latency_ms"] or 0.0,
                row["cost_usd"] or 0.0,
                self._counts,
            )
        )

    def _snapshot(self) -> Counts:
        c = self._counts
        return Counts(
            c.total,
            c.done,
            c.passed,
            c.failed,
            c.errors,
            c.spend_usd,
            time.perf_counter() - self._started,
            c.done_here,
        )

    async def _evaluate(self, plan: RunPlan, item: _Item) -> dict[str, Any]:
        from workbench.core.evals.turns import observe

        case, variant = item.case, item.variant
        row: dict[str, Any] = {
            "run_id": plan.run_id,
            "case_id": case.id,
            "variant": variant.name,
            "repeat": item.repeat,
            "case_index": item.index,
            "category": case.category,
            "weight": case.weight,
            "finished_at": 0.0,
        }
        obs, error = await observe(self, plan, item.case, variant, item.repeat)
        row.update(
            output=obs.output,
            latency_ms=round(obs.latency_ms, 3),
            input_tokens=obs.input_tokens,
            output_tokens=obs.output_tokens,
            cost_usd=obs.cost_usd,
            trace_id=obs.trace_ids[0] if obs.trace_ids else None,
            steps=obs.steps,
        )
        if error is None:
            await attach_trace(obs, case, self.traces)
            graded = await grade_case(case, obs)
            row.update(
                status=graded.status,
                score=graded.score,
                error=graded.error,
                assertions=[r.model_dump(exclude_none=True) for r in graded.assertions],
            )
            row["cost_usd"] = obs.cost_usd
            row["input_tokens"], row["output_tokens"] = obs.input_tokens, obs.output_tokens
        else:
            row.update(status="error", score=0.0, error=error, assertions=[])
        row["finished_at"] = time.time()
        return row

    async def call(self, plan: RunPlan, variant: Variant, request: dict[str, Any]) -> Any:
        """Run one turn, waiting out 429s on the variant's lane (Retry-After, else backoff)."""
        from workbench.core.evals.turns import rate_limit_error

        lane = self._target(variant).lane
        # Only real models have a provider's per-minute limits to keep to.
        pacer = self._pacer if variant.source == "real" else None
        attempt = 0
        while True:
            wait = self._resume_at.get(lane, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if pacer is not None:
                await pacer.wait(lane)
            outcome = await self.runner.run(request, timeout=self.turn_timeout)
            if pacer is not None:
                await _charge(pacer, lane, outcome)
            limited = rate_limit_error(outcome)
            if limited is None or attempt + 1 >= self.retry.attempts:
                return outcome
            attempt += 1
            match = _RETRY_AFTER.search(limited)
            delay = float(match.group(1)) if match else self.retry.base_s * 2 ** (attempt - 1)
            delay = min(delay, self.retry.max_s) * (1 + random.random() * 0.1)
            self._resume_at[lane] = max(self._resume_at.get(lane, 0.0), time.monotonic() + delay)
            self.listener(RateLimited(plan.run_id, variant.name, round(delay, 3), attempt))


async def _charge(pacer: Pacer, lane: str, outcome: Any) -> None:
    from workbench.core.evals.turns import outcome_parts

    result, _ = outcome_parts(outcome)
    result = result or {}
    usage = result.get("usage") or {}
    tokens = int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)
    await pacer.charge(lane, requests=int(result.get("steps") or 1), tokens=tokens)


def rate_limited(text: str | None) -> bool:
    """Whether an error message says the model was rate limited (HTTP 429)."""
    return bool(text and _RATE_LIMIT.search(text))

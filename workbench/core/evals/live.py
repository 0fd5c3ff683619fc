"""Running evals against a real project: collector, mock, worker pool, targets and services."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from workbench.core.evals.engine import ModelTarget
from workbench.core.evals.services import EvalServices
from workbench.core.evals.tracefacts import StoreTraceSource
from workbench.core.evals.variants import Variant
from workbench.core.projects import Project

# Turns in flight per model lane, unless --concurrency or [evals] concurrency says otherwise.
DEFAULT_CONCURRENCY = {"mock": 8, "replay": 8, "real": 4}


class LiveEnvironment:
    """Everything a run against ``project`` needs, started on enter and stopped on exit.

    A private collector (free port) receives the children's spans into the store;
    one mock per mode (rules, replay) answers mock variants; a ``WorkerPool`` runs
    ``run_turn`` in child processes; ``targets`` route each variant to its model.
    """

    def __init__(
        self,
        project: Project,
        variants: list[Variant],
        *,
        concurrency: int | None = None,
        turn_timeout: float = 120.0,
        db_path: Path | None = None,
        pool_size: int = 2,
        warm_up_input: Any = "Hello",
        options: dict[str, Any] | None = None,
    ) -> None:
        self.project = project
        self.variants = variants
        self.concurrency = concurrency
        self.turn_timeout = turn_timeout
        self.db_path = db_path
        self.pool_size = pool_size
        self.warm_up_input = warm_up_input
        # The run's endpoint options: api_base / api_key_env for real-model variants, judge.
        self.options = options or {}
        self.targets: dict[str, ModelTarget] = {}
        self.traces = StoreTraceSource(db_path)
        self.services: EvalServices | None = None
        self.pool: Any = None
        self._servers: list[Any] = []

    async def __aenter__(self) -> LiveEnvironment:
        try:
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _start(self) -> None:
        from workbench.core.collector.server import start_collector
        from workbench.core.runner import WorkerPool
        from workbench.core.runner.env import child_env

        # No decode processes: an eval's exports are small (a few turns' spans each), so
        # shipping them to another interpreter costs more CPU than decoding them here, and
        # the children already keep the other cores busy (bench/eval_e2e.py: 6.3 -> 2.9 ms of
        # collector CPU per template turn).
        collector = await asyncio.to_thread(start_collector, db_path=self.db_path, workers=0)
        self._servers.append(collector)
        env = child_env(self.project, otlp_endpoint=collector.url)
        self.pool = WorkerPool(
            self.project,
            size=self.pool_size,
            otlp_endpoint=collector.url,
            turn_timeout=self.turn_timeout,
        )
        # The children (seconds of imports) start while the mocks and endpoints are set up;
        # they need only the collector's address. A failure there stops them (``__aexit__``).
        starting = asyncio.ensure_future(self.pool.start())
        try:
            await self._start_model_side(env)
        except BaseException:
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
            raise
        await starting
        await self._warm_up()

    async def _start_model_side(self, env: dict[str, str]) -> None:
        """Start the mocks, route each variant to its model, check a real endpoint answers."""
        mocks: dict[str, Any] = {}
        for mode in sorted({v.source for v in self.variants} & {"mock", "replay"}):
            mocks[mode] = await asyncio.to_thread(self._start_mock, mode)
            self._servers.append(mocks[mode])
        judges: dict[str, dict[str, Any]] = {}
        for variant in self.variants:
            source = variant.source
            if source in mocks:
                server = mocks[source]
                model = f"openai/{server.extras['priced_as']}"
                target = ModelTarget(model, server.api_base, source, source, self._size(source))
            else:
                api_base = self.options.get("api_base")
                lane = f"{variant.model}@{api_base}" if api_base else variant.model
                target = ModelTarget(
                    variant.model,
                    api_base,
                    "real",
                    lane,
                    self._size("real"),
                    api_key_env=self.options.get("api_key_env"),
                )
            self.targets[variant.name] = target
            judges[variant.name] = {
                "model": target.model,
                "api_base": target.api_base,
                "source": target.source,
                "api_key_env": target.api_key_env,
            }
        if self.options.get("api_base"):
            from workbench.core.mock.upstream import check_reachable

            real = next(v for v in self.variants if v.source == "real")
            await asyncio.to_thread(check_reachable, real.model, self.options["api_base"])
        self.services = EvalServices(
            self.project.path,
            self.project.src_dir,
            judges=judges,
            env=env,
            judge_override=self.options.get("judge"),
        )

    async def _warm_up(self) -> None:
        """Untimed turns on every child for each mock variant, so graded turns skip cold starts.

        Real models are never called for a warm-up: that would cost money. A real
        variant's children get the entry module's ``warm_up`` instead (imports, router,
        prompts; no model call), so its first graded turns (latency checks, p95) do not
        carry a cold child's start. Every variant's warm-up runs at once (the children run
        turns concurrently), so each variant after the first adds no turn to the start.
        """
        warm_ups: list[Any] = []
        for variant in self.variants:
            target = self.targets[variant.name]
            if target.source not in {"mock", "replay"}:
                warm_ups.append(self.pool.warm_up(self._warm_up_request(variant, target)))
                continue
            request: dict[str, Any] = {
                "input": self.warm_up_input,
                "span_attributes": {"workbench.eval_warm_up": True},
                "model": target.model,
                "api_base": target.api_base,
            }
            if variant.prompt:
                request["prompt_version"] = variant.prompt
            warm_ups += [
                self.pool.run(
                    {**request, "session_id": f"eval-warm-up-{variant.name}-{index}"},
                    timeout=self.turn_timeout,
                )
                for index in range(self.pool_size)
            ]
        await asyncio.gather(*warm_ups, return_exceptions=True)

    def _warm_up_request(self, variant: Variant, target: ModelTarget) -> dict[str, Any]:
        """What a real variant's turn would send, minus its input (no model is called)."""
        request: dict[str, Any] = {
            "span_attributes": {"workbench.eval_warm_up": True, "workbench.variant": variant.name},
            "model": target.model,
        }
        if target.api_base:
            request["api_base"] = target.api_base
        if target.api_key_env:
            request["api_key_env"] = target.api_key_env
        if variant.prompt:
            request["prompt_version"] = variant.prompt
        if variant.params:
            request["params"] = dict(variant.params)
        return request

    def _start_mock(self, mode: str) -> Any:
        from workbench.core.mock import start_mock

        return start_mock(
            project_dir=self.project.path, mode="replay" if mode == "replay" else "rules"
        )

    def _size(self, source: str) -> int:
        return self.concurrency or DEFAULT_CONCURRENCY.get(source, 4)

    async def __aexit__(self, *exc: object) -> None:
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await self.pool.close()
        if self.services is not None:
            await self.services.close()
        self.traces.close()
        for server in reversed(self._servers):
            await asyncio.to_thread(server.stop)
        self._servers.clear()

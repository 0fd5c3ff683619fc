"""What dynamic probes share: a mock with the probes' own rules, a collector, runner pools, traces.

Everything starts on first use, binds 127.0.0.1 on free ports, and stops in ``close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from workbench.core.projects import Project
from workbench.core.runner.protocol import TurnOutcome
from workbench.core.serving import RunningServer

RULES_FILE = "000-workbench-readiness.yaml"
CLIENT_ROLES = ("client", "other-client", "guard", "size", "rate")
RATE_LIMIT = "20/minute"
MOCK_KEY = "workbench-mock-key"


class Harness:
    """Mock, collector and scratch space for one evaluation's probes."""

    def __init__(
        self,
        project: Project,
        rules: list[dict[str, Any]] | None = None,
        tool_faults: dict[str, str] | None = None,
    ) -> None:
        self.project = project
        # One environment for every probe turn, so they share one child process: the faulty
        # tools are only ever called by the probes that ask for them.
        self.tool_faults = dict(tool_faults or {})
        self.tmp = Path(tempfile.mkdtemp(prefix="workbench-readiness-"))
        self._mock: Any = None
        self._collector: RunningServer | None = None
        self._rules = list(rules or [])
        self._pools: dict[tuple, Any] = {}
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._service: Any = None
        self._lock = threading.RLock()
        # Keys of each role the attacked service accepts (fresh per evaluation, never defaults).
        # Each probe calls with its own client key, so one probe's requests never count
        # against another's rate limit.
        self.keys = {
            role: f"wb-probe-{role}-{secrets.token_hex(12)}"
            for role in (*CLIENT_ROLES, "approver", "operator")
        }
        self.rate_limit = RATE_LIMIT

    @property
    def mock(self):
        """The mock model, answering the probes' rules first and then the project's own."""
        with self._lock:
            return self._start_mock()

    def _start_mock(self):
        if self._mock is None:
            from workbench.core.mock import start_mock

            # A shadow of the project holding only its config and rules plus ours, so the
            # mock's public API loads both (rule files are tried in name order).
            shadow = self.tmp / "mock-project"
            rules_dir = shadow / self.project.config.mock.rules
            rules_dir.mkdir(parents=True)
            shutil.copy(self.project.path / "workbench.toml", shadow / "workbench.toml")
            source = self.project.path / self.project.config.mock.rules
            for path in sorted(source.glob("*.y*ml")) if source.is_dir() else []:
                shutil.copy(path, rules_dir / path.name)
            (rules_dir / RULES_FILE).write_text(yaml.safe_dump({"rules": self._rules}), "utf-8")
            self._mock = start_mock(project_dir=shadow)
        return self._mock

    @property
    def collector(self) -> RunningServer:
        """An OTLP collector writing into the workbench's store."""
        with self._lock:
            if self._collector is None:
                from workbench.core.collector.server import start_collector

                self._collector = start_collector(port=0)
            return self._collector

    def service_env(self) -> dict[str, str]:
        """The attacked service's environment: deployed-like (staging), one key per role."""
        k = self.keys
        return self.env(
            AGENT_ENVIRONMENT="staging",
            # `key:*`: the agent-service template's staff form (acts for every customer), so
            # the approval probe's call reaches real orders; see _settle_client_key.
            AGENT_API_KEYS=",".join(
                k[role] + (":*" if role == "client" else "") for role in CLIENT_ROLES
            ),
            AGENT_RATE_LIMIT=self.rate_limit,
            AGENT_APPROVER_KEYS=k["approver"],
            AGENT_OPERATOR_KEYS=k["operator"],
            AGENT_MEMORY_PATH=str(self.tmp / "service-memory.sqlite3"),
            AGENT_STATE_URL=f"sqlite:///{self.tmp / 'service-state.sqlite3'}",
            AGENT_TOOL_FAULTS="{}",
        )

    def service(self):
        """The project's service under uvicorn, started once and shared by the HTTP probes."""
        from workbench.core.readiness.probes.service import start_service

        with self._lock:
            if self._service is None:
                self._service = start_service(
                    self.project, env=self.service_env(), otlp_endpoint=self.collector.url
                )
                self._settle_client_key(self._service)
            return self._service

    def _settle_client_key(self, service) -> None:
        """A service that does not read ``key:customer`` entries takes the whole entry as key."""
        key = self.keys["client"]
        refused = service.send("POST", "/agent/run", key=key, json={}).status_code == 401
        if (
            refused
            and service.send("POST", "/agent/run", key=key + ":*", json={}).status_code != 401
        ):
            self.keys["client"] = key + ":*"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for the project's processes: the mock, our collector, scratch memory."""
        env = {
            "AGENT_LLM_API_BASE": self.mock.api_base,
            "AGENT_LLM_API_KEY": MOCK_KEY,
            "AGENT_MEMORY_PATH": str(self.tmp / "memory.sqlite3"),
            "AGENT_MEMORY_BACKEND": "sqlite",
            "AGENT_ENVIRONMENT": "test",
            # The agent-service template's chaos hook: make chosen tools hang or fail.
            "AGENT_TOOL_FAULTS": json.dumps(self.tool_faults, sort_keys=True),
        }
        env.update(extra)
        return env

    def request(self, text: str, **extra: Any) -> dict[str, Any]:
        """A turn request aimed at the mock, tagged so its trace is recognisable."""
        request = {
            "input": text,
            "api_base": self.mock.api_base,
            "api_key": MOCK_KEY,
            "span_attributes": {
                "workbench.variant": "readiness-probe",
                "workbench.model_source": "mock",
            },
        }
        request.update(extra)
        return request

    def _loop(self) -> asyncio.AbstractEventLoop:
        if self._event_loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="readiness-probes", daemon=True)
            thread.start()
            self._event_loop, self._thread = loop, thread
        return self._event_loop

    def _call(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop()).result(timeout)

    def pool(self, env: dict[str, str], timeout: float):
        """A started one-child pool for ``env`` (reused by probes that need the same env)."""
        key = tuple(sorted(env.items()))
        with self._lock:
            return self._pool(key, env, timeout)

    def _pool(self, key: tuple, env: dict[str, str], timeout: float):
        from workbench.core.runner.pool import WorkerPool

        if key not in self._pools:
            pool = WorkerPool(
                self.project,
                size=1,
                env=env,
                turn_timeout=timeout,
                otlp_endpoint=self.collector.url,
                start_timeout=60.0,
            )
            self._call(pool.start(), 90.0)
            self._pools[key] = pool
        return self._pools[key]

    def run_turn(
        self, request: dict[str, Any], *, env: dict[str, str] | None = None, timeout: float = 60.0
    ) -> TurnOutcome:
        """Run one turn in a child process with ``env`` (the default probe env when None)."""
        pool = self.pool(env if env is not None else self.env(), timeout)
        return self._call(pool.run(request, timeout=timeout), timeout + 30.0)

    def trace(self, trace_id: str | None, wait: float = 5.0):
        """The stored trace ``trace_id`` once its spans have arrived (None if it never does)."""
        if not trace_id:
            return None
        from workbench.store.db import connect
        from workbench.store.traces import get_trace

        deadline = time.monotonic() + wait
        last_count, detail = -1, None
        db = connect()
        try:
            while time.monotonic() < deadline:
                detail = get_trace(db, trace_id)
                count = len(detail.spans) if detail is not None else 0
                # Spans arrive in batches: wait until the agent span is there and the count settles.
                has_root = detail is not None and any(s.parent_id is None for s in detail.spans)
                if has_root and count == last_count:
                    return detail
                last_count = count
                time.sleep(0.25)
        finally:
            db.conn.close()
        return detail

    def close(self) -> None:
        """Stop the children, the mock and the collector, and delete scratch files."""
        if self._event_loop is not None:
            for pool in self._pools.values():
                # A pool that cannot close cleanly must not keep the rest up.
                with contextlib.suppress(Exception):
                    self._call(pool.close(), 30.0)
            self._pools.clear()
            self._event_loop.call_soon_threadsafe(self._event_loop.stop)
            if self._thread is not None:
                self._thread.join(5.0)
            self._event_loop.close()
            self._event_loop = None
        if self._service is not None:
            self._service.stop()
            self._service = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self._collector is not None:
            self._collector.stop()
            self._collector = None
        shutil.rmtree(self.tmp, ignore_errors=True)

"""``workbench dev`` orchestration: collector, mock and the project's service with auto-reload.

The service runs in its own process group under ``uvicorn --reload`` (watchfiles),
watching the project's source and prompts; the collector and the mock run in
this process. ``DevStack`` starts and stops them together, for the CLI and the TUI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx

from workbench.core.projects import Project
from workbench.core.runner.env import child_env, read_dotenv
from workbench.core.runner.stack import MOCK_SOURCES
from workbench.core.serving import RunningServer, port_in_use, tls_context
from workbench.errors import WorkbenchError
from workbench.settings import get_settings

if TYPE_CHECKING:
    from workbench.core.mock.server import MockServer

# Files whose change restarts the service, besides *.py.
RELOAD_INCLUDE = ("*.yaml", "*.yml", "*.json", "*.md", "*.txt", "*.j2", "*.jinja")


@dataclass(frozen=True)
class DevAddresses:
    """Where everything listens."""

    service: str
    docs: str
    collector: str
    mock: str | None

    def lines(self) -> list[tuple[str, str]]:
        """(label, address) pairs to print."""
        rows = [("service", self.service), ("docs", self.docs), ("collector", self.collector)]
        if self.mock:
            rows.append(("mock model", self.mock))
        return rows


def service_env(
    project: Project,
    *,
    otlp_endpoint: str,
    model: str | None,
    mock_api_base: str | None,
    priced_as: str,
    source: str,
) -> dict[str, str]:
    """The service's environment: the runner child's, plus the template's model settings.

    The agent-service template reads ``AGENT_MODEL_OVERRIDE``, ``AGENT_LLM_API_BASE`` and
    ``AGENT_LLM_API_KEY`` (its ``infra/settings.py``); ``WORKBENCH_MODEL_SOURCE`` says
    where the model answers (``mock``, ``replay``, ``real``).
    """
    extra = {"WORKBENCH_MODEL_SOURCE": source}
    # `workbench dev` is local development: the template then accepts its shipped keys and
    # serves /docs (its settings default to production, which refuses both).
    if "AGENT_ENVIRONMENT" not in os.environ and "AGENT_ENVIRONMENT" not in read_dotenv(project):
        extra["AGENT_ENVIRONMENT"] = "development"
    if mock_api_base:
        extra |= {
            "AGENT_MODEL_OVERRIDE": f"openai/{priced_as}",
            "AGENT_LLM_API_BASE": mock_api_base,
            "AGENT_LLM_API_KEY": "mock",
        }
    elif model:
        extra["AGENT_MODEL_OVERRIDE"] = model
    return child_env(project, otlp_endpoint=otlp_endpoint, extra=extra)


def service_argv(project: Project, *, host: str, port: int, reload: bool = True) -> list[str]:
    """``python -m uvicorn <service> --reload …`` watching the project's src/ and prompts/."""
    service = project.config.agent.service
    if not service or ":" not in service:
        raise WorkbenchError(
            f"{project.path / 'workbench.toml'}: [agent] service must name the ASGI app "
            "as 'module:attribute'"
        )
    argv = [sys.executable, "-m", "uvicorn", service, "--host", host, "--port", str(port)]
    argv += ["--app-dir", str(project.src_dir)]
    if reload:
        argv.append("--reload")
        for folder in (project.src_dir, project.path / "prompts"):
            if folder.is_dir():
                argv += ["--reload-dir", str(folder)]
        for pattern in RELOAD_INCLUDE:
            argv += ["--reload-include", pattern]
    return argv


class DevStack:
    """The collector, the mock (unless a real model) and the service, started and stopped
    together."""

    def __init__(
        self,
        project: Project,
        *,
        port: int = 8000,
        host: str = "127.0.0.1",
        model: str | None = None,
        collector_port: int | None = None,
        reload: bool = True,
        output: IO | None = None,
    ) -> None:
        self.project, self.port, self.host, self.reload = project, port, host, reload
        self.model = model
        self.source = model if model in MOCK_SOURCES else ("real" if model else "mock")
        self.collector_port = collector_port or get_settings().collector_port
        self.output = output
        self.collector: RunningServer | None = None
        self.mock: MockServer | None = None
        self.process: subprocess.Popen | None = None
        self.addresses: DevAddresses | None = None

    def start(self, timeout: float = 60.0) -> DevAddresses:
        """Start everything and wait until the service accepts connections."""
        if port_in_use(self.host, self.port):
            raise WorkbenchError(
                f"{self.host}:{self.port} is already in use; choose another port with --port"
            )
        argv = service_argv(self.project, host=self.host, port=self.port, reload=self.reload)
        try:
            return self._start(argv, timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, argv: list[str], timeout: float) -> DevAddresses:
        from workbench.core.collector import ensure_collector

        collector_host = get_settings().collector_host
        self.collector = ensure_collector(collector_host, self.collector_port)
        collector_url = f"http://{collector_host}:{self.collector_port}"
        if self.source == "real":
            from workbench.core.runner.preflight import check_model

            check_model(str(self.model), child_env(self.project))
        if self.source in MOCK_SOURCES:
            from workbench.core.mock import start_mock

            mode = "replay" if self.source == "replay" else "rules"
            self.mock = start_mock(project_dir=self.project.path, port=0, mode=mode)
        env = service_env(
            self.project,
            otlp_endpoint=collector_url,
            model=self.model if self.source == "real" else None,
            mock_api_base=self.mock.api_base if self.mock else None,
            priced_as=self.project.config.mock.priced_as,
            source=self.source,
        )
        self.process = subprocess.Popen(
            argv,
            cwd=self.project.path,
            env=env,
            start_new_session=True,
            stdout=self.output,
            stderr=subprocess.STDOUT if self.output else None,
        )
        self._wait_until_serving(timeout)
        service = f"http://{self.host}:{self.port}"
        self.addresses = DevAddresses(
            service=service,
            docs=f"{service}/docs",
            collector=f"{collector_url}/v1/traces",
            mock=self.mock.api_base if self.mock else None,
        )
        return self.addresses

    def _wait_until_serving(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        # The reloader binds the port before its worker has imported the app: wait for an
        # HTTP answer (any status), not just an open port.
        while self._probe(timeout=5.0) is None:
            code = self.process.poll()
            if code is not None:
                raise WorkbenchError(
                    f"the project's service exited with code {code} before serving "
                    "(see its output above)"
                )
            if time.monotonic() > deadline:
                raise WorkbenchError(f"the project's service did not start within {timeout:g} s")
            time.sleep(0.1)

    def healthy(self) -> bool:
        """Whether the service answers ``/healthz`` with a 2xx."""
        return self._probe() in range(200, 300)

    def _probe(self, timeout: float = 2.0) -> int | None:
        """The status of ``GET /healthz``, or ``None`` when nothing answers."""
        with (
            contextlib.suppress(httpx.HTTPError),
            httpx.Client(trust_env=False, timeout=timeout, verify=tls_context()) as client,
        ):
            return client.get(f"http://{self.host}:{self.port}/healthz").status_code
        return None

    def wait(self) -> int:
        """Block until the service exits (or Ctrl-C); its exit code."""
        assert self.process is not None
        return self.process.wait()

    def stop(self, grace: float = 5.0) -> None:
        """Stop the service's whole process group (reloader and worker), the mock, the collector."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None:
            # The reloader's worker may outlive the reloader: take the group down for good.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for server in (self.mock, self.collector):
            if server is not None:
                server.stop()
        self.mock = self.collector = None

    def __enter__(self) -> DevStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def log_path(project: Project) -> Path:
    """Where the TUI sends the service's output."""
    from workbench import locations

    path = locations.home() / "logs" / f"dev-{project.name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path

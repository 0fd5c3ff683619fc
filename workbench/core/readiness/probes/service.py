"""The project's FastAPI service in a child uvicorn process on a free loopback port, for probing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from workbench.core.projects import Project
from workbench.core.runner.env import child_env
from workbench.core.serving import free_port, tls_context
from workbench.errors import WorkbenchError


@dataclass
class ServiceProcess:
    """A running service: its base URL, and ``stop()`` to end its process group."""

    process: subprocess.Popen
    url: str
    log_path: Path

    def get(self, path: str, timeout: float = 5.0) -> httpx.Response:
        """GET ``path`` from the service."""
        with httpx.Client(trust_env=False, timeout=timeout, verify=tls_context()) as client:
            return client.get(self.url + path)

    def send(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        timeout: float = 60.0,
        **kwargs,
    ) -> httpx.Response:
        """One request to the service, with ``key`` as its ``X-API-Key`` when given."""
        headers = dict(kwargs.pop("headers", None) or {})
        if key is not None:
            headers["X-API-Key"] = key
        with httpx.Client(trust_env=False, timeout=timeout, verify=tls_context()) as client:
            return client.request(method, self.url + path, headers=headers, **kwargs)

    def log_tail(self, lines: int = 3) -> str:
        """The last lines the service wrote to stderr, on one line."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the service's process group, then SIGKILL what is left after ``grace``."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(grace)
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def start_service(
    project: Project,
    *,
    env: dict[str, str],
    otlp_endpoint: str | None = None,
    ready_path: str = "/healthz",
    timeout: float = 30.0,
) -> ServiceProcess:
    """Start ``[agent] service`` under uvicorn and wait until ``ready_path`` answers at all.

    Raises ``WorkbenchError`` (one line, with the tail of the service's stderr) when it
    exits or does not answer within ``timeout``; the process is stopped in that case.
    """
    service = project.config.agent.service
    if not service:
        raise WorkbenchError(
            "workbench.toml [agent] service is not set (module:attribute of the ASGI app)"
        )
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="workbench-service-", suffix=".log")[1])
    argv = [
        sys.executable, "-m", "uvicorn", service,
        "--host", "127.0.0.1", "--port", str(port),
        "--app-dir", str(project.src_dir),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            cwd=project.path,
            env=child_env(project, otlp_endpoint=otlp_endpoint, extra=env),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = ServiceProcess(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = running.log_tail()
            running.stop()
            raise WorkbenchError(f"the service exited with code {process.returncode}: {tail}")
        try:
            running.get(ready_path, timeout=1.0)
            return running
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            tail = running.log_tail()
            running.stop()
            raise WorkbenchError(
                f"the service did not answer {ready_path} within {timeout:g} s: {tail}"
            )
        time.sleep(0.1)

"""Starting the collector in-process, or finding the one already running."""

from __future__ import annotations

from pathlib import Path

import httpx

from workbench.core.collector.app import DEFAULT_MAX_BODY, HEALTH_SERVICE, create_app
from workbench.core.serving import RunningServer, port_in_use, serve_in_thread
from workbench.errors import WorkbenchError


def start_collector(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
) -> RunningServer:
    """Serve the OTLP receiver in a background thread (port 0 picks a free one)."""
    app = create_app(db_path=db_path, max_body_bytes=max_body_bytes)
    return serve_in_thread(app, host=host, port=port, name="workbench collector")


def collector_running(host: str, port: int) -> bool:
    """Whether a workbench collector answers /healthz at ``host:port``."""
    try:
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            response = client.get(f"http://{host}:{port}/healthz")
    except httpx.HTTPError:
        return False
    try:
        return response.status_code == 200 and response.json().get("service") == HEALTH_SERVICE
    except ValueError:
        return False


def ensure_collector(host: str, port: int) -> RunningServer | None:
    """Start a collector on ``host:port`` unless one already runs there (then None)."""
    if collector_running(host, port):
        return None
    if port_in_use(host, port):
        raise WorkbenchError(
            f"{host}:{port} is in use by something that is not a workbench collector"
        )
    return start_collector(host=host, port=port)

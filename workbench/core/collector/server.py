"""Starting the collector in-process, or finding the one already running."""

from __future__ import annotations

from pathlib import Path

import httpx

from workbench.core.collector.app import DEFAULT_MAX_BODY, HEALTH_SERVICE, create_app
from workbench.core.collector.forward import ForwardConfig, forward_config
from workbench.core.collector.identity import store_id
from workbench.core.serving import RunningServer, port_in_use, serve_in_thread
from workbench.errors import WorkbenchError


def start_collector(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    forward: ForwardConfig | None = None,
    workers: int | None = None,
) -> RunningServer:
    """Serve the OTLP receiver in a background thread (port 0 picks a free one).

    It forwards exports as ``forward`` says, else as the settings do
    (``WORKBENCH_COLLECT_FORWARD``). ``workers`` decode processes (default: one per spare
    core; 0 for a collector that receives a turn or two, where starting one costs more).
    """
    forward = forward if forward is not None else forward_config()
    app = create_app(
        db_path=db_path, max_body_bytes=max_body_bytes, forward=forward, workers=workers
    )
    return serve_in_thread(app, host=host, port=port, name="workbench collector")


def collector_store(host: str, port: int) -> str | None:
    """The store id a workbench collector at ``host:port`` reports; None when none answers."""
    try:
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            response = client.get(f"http://{host}:{port}/healthz")
    except httpx.HTTPError:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if response.status_code != 200 or not isinstance(body, dict):
        return None
    if body.get("service") != HEALTH_SERVICE:
        return None
    return str(body.get("store") or "unknown")


def collector_running(host: str, port: int, db_path: Path | None = None) -> bool:
    """Whether the collector of this home's store (or ``db_path``'s) answers at ``host:port``."""
    return collector_store(host, port) == store_id(db_path)


def ensure_collector(host: str, port: int) -> RunningServer | None:
    """Start a collector on ``host:port`` unless this home's already runs there (then None).

    A collector there that writes to another home's database is an error: sending
    to it would put this home's traces into someone else's store.
    """
    reported = collector_store(host, port)
    if reported == store_id():
        return None
    if reported is not None:
        raise WorkbenchError(another_home(host, port))
    if port_in_use(host, port):
        raise WorkbenchError(
            f"{host}:{port} is in use by something that is not a workbench collector"
        )
    return start_collector(host=host, port=port)


def another_home(host: str, port: int) -> str:
    """The one-line error for a port held by the collector of another workbench home."""
    return (
        f"{host}:{port} serves the trace collector of another workbench home (another "
        "WORKBENCH_HOME); give this home its own port with WORKBENCH_COLLECTOR_PORT"
    )

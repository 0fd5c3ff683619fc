"""``workbench collect``: run the OTLP/HTTP trace receiver in the foreground."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 4318).")
@click.option(
    "--max-body-mb",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Largest accepted body after decompression, in MiB.",
)
def collect(host: str | None, port: int | None, max_body_mb: float) -> None:
    """Receive OpenTelemetry traces (OTLP/HTTP, protobuf or JSON) at /v1/traces into the store."""
    import uvicorn

    from workbench import locations
    from workbench.core.collector.app import create_app
    from workbench.core.collector.identity import store_id
    from workbench.core.collector.server import another_home, collector_store
    from workbench.core.serving import port_in_use
    from workbench.errors import WorkbenchError
    from workbench.settings import get_settings

    settings = get_settings()
    host = host or settings.collector_host
    port = port if port is not None else settings.collector_port
    reported = collector_store(host, port)
    if reported is not None and reported != store_id():
        raise WorkbenchError(another_home(host, port) + " or --port")
    if port_in_use(host, port):
        raise WorkbenchError(f"{host}:{port} is already in use; choose another port with --port")
    app = create_app(max_body_bytes=int(max_body_mb * 1024 * 1024))
    click.echo(f"collecting traces at http://{host}:{port}/v1/traces into {locations.db_path()}")
    click.echo(f"set OTEL_EXPORTER_OTLP_ENDPOINT=http://{host}:{port} in your agent; Ctrl+C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")

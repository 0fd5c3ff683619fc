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
@click.option(
    "--forward",
    "forward_url",
    metavar="URL",
    help="Also forward every accepted export, unchanged, to this OTLP/HTTP endpoint.",
)
@click.option(
    "--forward-header",
    "forward_headers",
    multiple=True,
    metavar="K=V",
    help='A header for the forward endpoint (repeatable); e.g. "Authorization=Bearer $TOKEN".',
)
@click.option(
    "--forward-queue",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Exports held for the forward endpoint while it is slow or down; then the oldest go.",
)
@click.option(
    "--project",
    help="Forward as this project's workbench.toml [collect] says (forward, forward_headers_env).",
)
def collect(
    host: str | None,
    port: int | None,
    max_body_mb: float,
    forward_url: str | None,
    forward_headers: tuple[str, ...],
    forward_queue: int,
    project: str | None,
) -> None:
    """Receive OTLP/HTTP traces, logs and metrics (protobuf or JSON) into the store.

    Routes: /v1/traces, /v1/logs and /v1/metrics (GenAI metrics are kept; docs/tracing.md).

    With --forward (or WORKBENCH_COLLECT_FORWARD, or the project's [collect] forward),
    every export it accepts also goes, unchanged, to another OTLP/HTTP backend, from a
    bounded queue that never holds up the receiver (docs/team.md).
    """
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
    from workbench.cli.collect_status import ForwardReporter
    from workbench.core.collector.forward import forward_config

    headers_env = None
    if project:
        from workbench.core.projects import open_project

        section = open_project(project).config.collect
        forward_url = forward_url or section.forward
        headers_env = section.forward_headers_env
    forward = forward_config(
        forward_url, forward_headers, headers_env=headers_env, max_queue=forward_queue
    )
    app = create_app(max_body_bytes=int(max_body_mb * 1024 * 1024), forward=forward)
    click.echo(
        f"collecting at http://{host}:{port}/v1/traces, /v1/logs and /v1/metrics "
        f"into {locations.db_path()}"
    )
    if forward is not None:
        names = ", ".join(sorted(forward.headers)) or "no headers"
        click.echo(f"forwarding every accepted export to {forward.display_url} ({names})")
    click.echo(f"set OTEL_EXPORTER_OTLP_ENDPOINT=http://{host}:{port} in your agent; Ctrl+C stops")
    with ForwardReporter(app.state.forwarder, click.echo):
        uvicorn.run(app, host=host, port=port, log_level="warning")

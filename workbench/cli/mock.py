"""``workbench mock``: serve the deterministic mock model (rules, faults, record and replay)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click


@click.group()
def mock() -> None:
    """The mock model: an OpenAI-compatible server driven by the project's mocks/ rules."""


@mock.command()
@click.option("--project", "project", default=None, help="Project folder or name (default: cwd).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=0, help="Port to listen on (default: a free port).")
@click.option("--latency-ms", type=float, default=None, help="Add this latency to every call.")
@click.option(
    "--fault-rate", type=float, default=None, help="Share of calls failing (429/500/503)."
)
@click.option("--seed", type=int, default=None, help="Seed for every random draw ([mock] seed).")
@click.option(
    "--mode",
    type=click.Choice(["rules", "record", "replay", "passthrough"]),
    default="rules",
    show_default=True,
    help="Answer from rules, record a real model, replay cassettes, or replay and record misses.",
)
@click.option(
    "--upstream-model",
    envvar="WORKBENCH_MOCK_UPSTREAM_MODEL",
    default=None,
    help="litellm model string of the real model (record, passthrough).",
)
@click.option(
    "--upstream-api-base",
    envvar="WORKBENCH_MOCK_UPSTREAM_API_BASE",
    default=None,
    help="api_base of the real model, e.g. a local server.",
)
@click.option(
    "--serve-model",
    "serve_models",
    multiple=True,
    metavar="NAME",
    help="Also serve this model name (repeatable); others get the API's 404 model_not_found.",
)
def serve(
    project: str | None,
    host: str,
    port: int,
    latency_ms: float | None,
    fault_rate: float | None,
    seed: int | None,
    mode: str,
    upstream_model: str | None,
    upstream_api_base: str | None,
    serve_models: tuple[str, ...],
) -> None:
    """Serve the mock on HOST:PORT until Ctrl+C, and print how to point litellm at it."""
    from workbench.core.config import CONFIG_FILE
    from workbench.core.mock import start_mock
    from workbench.core.mock.upstream import upstream_key
    from workbench.core.projects import resolve_project_dir

    if project is not None:
        project_dir: Path | None = resolve_project_dir(project)
    else:
        project_dir = Path.cwd() if (Path.cwd() / CONFIG_FILE).is_file() else None
    upstream = None
    if upstream_model:
        # The key comes from the environment only, never from a flag (shell history, ps).
        upstream = {
            "model": upstream_model,
            "api_base": upstream_api_base,
            # The provider's own key only for the provider's own host (see model_keys).
            "api_key": upstream_key(upstream_model, os.environ, upstream_api_base),
        }
    server = start_mock(
        project_dir=project_dir,
        port=port,
        host=host,
        mode=mode,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        upstream=upstream,
        models=serve_models,
    )
    options = server.options
    rules = len(server.state.rules()) if server.state else 0
    where = f"{rules} rules from {options.rules_dir}" if options.rules_dir else "no project rules"
    if mode != "rules":
        where = f"cassettes in {options.cassette_dir}"
    click.echo(f"mock model ({mode}, {where}) listening on {server.url}")
    click.echo(f"  api_base:  {server.api_base}")
    click.echo(
        f'  litellm:   completion(model="openai/{options.priced_as}", '
        f'api_base="{server.api_base}", api_key="mock", ...)'
    )
    click.echo(f"  env:       OPENAI_API_BASE={server.api_base} OPENAI_API_KEY=mock")
    if mode == "rules" and server.state is not None:
        from workbench.core.mock.catalog import chat_names, chat_patterns

        book = server.state.rules()
        served = chat_names(options.priced_as, options.models, book) + chat_patterns(book)
        click.echo(f"  models:    {', '.join(served)} (and text-embedding-3-small/-large, ada-002)")
    extras = []
    if options.overrides.latency_ms is not None:
        extras.append(f"latency {options.overrides.latency_ms:g} ms")
    if options.overrides.fault_rate:
        extras.append(f"fault rate {options.overrides.fault_rate:g}")
    if extras:
        click.echo(f"  global:    {', '.join(extras)} (seed {options.overrides.seed})")
    click.echo("press Ctrl+C to stop")
    try:
        while server.thread.is_alive():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

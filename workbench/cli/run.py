"""``workbench run``: one agent turn against the mock or a real model, shown as its trace."""

from __future__ import annotations

from typing import Any

import click

from workbench.core.figures import json_text
from workbench.errors import ModelError, WorkbenchError


@click.command()
@click.argument("project")
@click.argument("input_text", metavar="INPUT")
@click.option(
    "--model",
    "-m",
    help="mock, replay, or a litellm model string (default: the variant's model, else mock).",
)
@click.option(
    "--api-base",
    metavar="URL",
    help="Where a real model is served, e.g. a local llama.cpp, Ollama or vLLM server's /v1. "
    "A provider's key (OPENAI_API_KEY, ...) is never sent there; see --api-key-env.",
)
@click.option(
    "--api-key-env",
    metavar="VAR",
    help="The environment variable holding the key for --api-base (never stored or printed; "
    "default: [models] api_key_env in workbench.toml, else no key).",
)
@click.option(
    "--record",
    is_flag=True,
    help="Store a real model's answers as cassettes in the project's [mock] cassettes folder "
    "(cassettes/, git-ignored), to replay them later offline and at no cost with --model replay.",
)
@click.option("--variant", "-V", help="A [variants] name (default: baseline when declared).")
@click.option("--session", "-s", "session_id", help="Continue this session (default: a new one).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=120.0,
    show_default=True,
    help="Seconds before the turn is cancelled.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
@click.option("--verbose", "-v", is_flag=True, help="Show what the project's code logs.")
def run(
    project: str,
    input_text: str,
    model: str | None,
    api_base: str | None,
    api_key_env: str | None,
    record: bool,
    variant: str | None,
    session_id: str | None,
    timeout: float,
    as_json: bool,
    verbose: bool,
) -> None:
    """Run one turn of PROJECT's agent on INPUT and show its trace, tokens, cost and budget."""
    import asyncio
    import sys

    from workbench.cli.run_progress import phase_lines
    from workbench.core.projects import open_project
    from workbench.core.runner.phases import Phases
    from workbench.core.runner.stack import run_single_turn

    opened = open_project(project)
    phases = Phases()
    with phase_lines(phases, enabled=not as_json and sys.stderr.isatty()):
        report = asyncio.run(
            run_single_turn(
                opened,
                input_text,
                model=model,
                variant=variant,
                session_id=session_id,
                timeout=timeout,
                echo_stderr=verbose,
                api_base=api_base,
                record=record,
                api_key_env=api_key_env,
                phases=phases,
            )
        )
    budget = _budget(opened, report)
    if as_json:
        click.echo(json_text(turn_json(report, budget)))
    else:
        _print(report, budget)
    if report.error:
        if report.outcome.ok:
            raise ModelError(report.error)
        raise WorkbenchError(report.error)


def _budget(project, report):
    if report.trace is None:
        return None
    from workbench.core.budget import budget_status
    from workbench.store.db import connect

    db = connect()
    try:
        return budget_status(
            db, project, session_id=report.session_id, trace_id=report.trace.trace_id
        )
    finally:
        db.conn.close()


def turn_json(report, budget) -> dict[str, Any]:
    """What ``run --json`` prints: the turn's result, what ran, its trace and the budget.

    Keys the agent's ``run_turn`` returns beyond the runner's own (rag-agent's ``contexts``
    and ``citations``, say) follow, as the agent gave them, when they are JSON; a key the
    runner prints itself (``model``, ``trace``, ``cost``, ...) keeps the runner's value.
    """
    from workbench.cli.budget import report_json
    from workbench.cli.trace_render import trace_cost, trace_json

    result = report.result
    shown = {
        "output": result.get("output"),
        "status": result.get("status") or "error",
        "error": report.error,
        "trace_id": result.get("trace_id"),
        "session_id": report.session_id,
        "variant": report.variant,
        "model": report.model,
        "model_source": report.model_source,
        "steps": result.get("steps"),
        "tool_calls": result.get("tool_calls", []),
        "usage": result.get("usage"),
        # The stored trace's cost as shown ("unpriced" for calls no price applies to).
        "cost": trace_cost(report.trace) if report.trace is not None else None,
        "wall_ms": round(report.outcome.wall_ms, 1),
        "trace": trace_json(report.trace) if report.trace is not None else None,
        "budget": report_json(budget) if budget is not None else None,
    }
    return {**shown, **agent_extras(result, shown)}


def agent_extras(result: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """The keys of the agent's ``result`` that ``shown`` lacks, those whose values are JSON."""
    import json

    extras = {}
    for key, value in result.items():
        if key in shown or not isinstance(key, str):
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            continue  # an in-process agent's object (a client, a numpy array): not output
        extras[key] = value
    return extras


def _print(report, budget) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from workbench.cli.budget import render_budget_brief
    from workbench.cli.trace_render import (
        format_cost,
        render_trace_totals,
        render_trace_tree,
        trace_cost,
    )

    console = Console()
    result = report.result
    status = result.get("status") or "error"
    model = f"{report.model} ({report.model_source})"
    what = [report.project, report.variant or "no variant", model]
    console.print(Text(" · ".join(what) + f" · session {report.session_id}", style="dim"))
    if result.get("output"):
        console.print(Panel(str(result["output"]), title="reply", title_align="left"))
    if report.trace is not None:
        console.print(render_trace_tree(report.trace))
        console.print(render_trace_totals(report.trace))
    elif result.get("trace_id"):
        console.print(f"[yellow]trace {result['trace_id']} was not stored in time[/]")
    usage = result.get("usage") or {}
    tools = result.get("tool_calls") or []
    style = "green" if status == "ok" else "red" if status == "error" else "yellow"
    console.print(
        Text.assemble(
            ("Turn: ", "bold"),
            (status, f"bold {style}"),
            f" · {result.get('steps', 0)} steps · {len(tools)} tool calls · ",
            f"in {usage.get('input_tokens', 0)} / out {usage.get('output_tokens', 0)} tokens · ",
            # The stored trace is what budgets count: show its cost, so the two agree.
            (
                trace_cost(report.trace)
                if report.trace is not None
                else format_cost(usage.get("cost_usd")),
                "green",
            ),
            f" · {report.outcome.wall_ms / 1000:.2f} s",
        )
    )
    if budget is not None:
        console.print(render_budget_brief(budget))

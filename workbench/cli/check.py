"""``workbench check`` (the production-readiness checklist) and ``workbench signoff``."""

from __future__ import annotations

import sys

import click

from workbench.core.figures import json_text

_STYLES = {
    "pass": ("✔", "green"),
    "fail": ("✘", "red"),
    "warn": ("!", "yellow"),
    "needs-signoff": ("?", "cyan"),
    "error": ("⚠", "magenta"),
    "n/a": ("–", "dim"),
}


def _render(result, console) -> None:
    """The checklist grouped, each item with status, evidence and hint, then the score."""
    from rich.text import Text

    from workbench.core.readiness.model import GROUP_TITLES, GROUPS

    for group in GROUPS:
        items = [i for i in result.items if i.group == group]
        if not items:
            continue
        passing = sum(i.passed for i in items)
        console.print(Text(f"{GROUP_TITLES[group]}  {passing}/{len(items)}", style="bold"))
        for item in items:
            mark, style = _STYLES[item.status]
            line = Text("  ")
            line.append(f"{mark} {item.status:<14}", style=style)
            line.append(item.title)
            line.append(f"  {item.id} ({item.kind})", style="dim")
            console.print(line)
            for evidence in item.evidence:
                console.print(Text(f"      {evidence}", style="dim"))
            if item.hint and not item.passed:
                console.print(Text(f"      hint: {item.hint}", style=style))
        console.print()
    required = [i for i in result.items if i.required]
    verdict = "READY" if result.passed else f"NOT READY ({len(result.blocking)} blocking)"
    console.print(
        Text(
            f"Readiness {result.score:.0%}: {sum(i.passed for i in required)}/{len(required)} "
            f"required items pass — {verdict}",
            style="bold green" if result.passed else "bold red",
        )
    )


@click.command()
@click.argument("project")
@click.option("--json", "as_json", is_flag=True, help="Print the checklist as JSON.")
@click.option(
    "--only", "only", metavar="GROUP", help="Only one group (reliability, deployment, ...)."
)
@click.option("--static-only", is_flag=True, help="Skip the dynamic probes (no processes started).")
@click.option(
    "--model",
    "-m",
    help="A litellm model string: run the model-facing probes and the safety evals against it "
    "(default: the workbench mock, whose safety verdict is only a wiring check).",
)
@click.option(
    "--api-base",
    metavar="URL",
    help="Where --model is served, e.g. a local OpenAI-compatible server's /v1.",
)
@click.option(
    "--api-key-env",
    metavar="VAR",
    help="The environment variable holding --model's key (never stored or printed).",
)
@click.option("--no-cache", is_flag=True, help="Re-run every item, even on an unchanged project.")
def check(
    project: str,
    as_json: bool,
    only: str | None,
    static_only: bool,
    model: str | None,
    api_base: str | None,
    api_key_env: str | None,
    no_cache: bool,
) -> None:
    """Run the production-readiness checklist of PROJECT; exit 0 when all required items pass."""
    from rich.console import Console

    from workbench.core.projects import open_project
    from workbench.core.readiness import evaluate
    from workbench.core.readiness.modelchoice import ModelChoice
    from workbench.errors import WorkbenchError

    if (api_base or api_key_env) and not model:
        raise WorkbenchError("--api-base and --api-key-env need --model")
    choice = ModelChoice(model, api_base, api_key_env) if model else None
    if choice is not None:
        choice.api_key()  # a missing key variable is a one-line error now, not mid-check
    proj = open_project(project)
    err = Console(stderr=True)
    status = err.status("checking…") if err.is_terminal else None
    done: list[str] = []

    def progress(item) -> None:
        done.append(item.id)
        if status is not None:
            status.update(f"{len(done)} checked · {item.id}: {item.status}")

    if status is not None:
        status.start()
    try:
        result = evaluate(
            proj,
            only_group=only,
            run_dynamic=not static_only,
            progress=progress,
            use_cache=not no_cache,
            model=choice,
        )
    finally:
        if status is not None:
            status.stop()
    if as_json:
        data = result.model_dump(include={"passed", "score", "items"})
        data["project"] = proj.name
        data["model"] = choice.label if choice else "mock"
        click.echo(json_text(data))
    else:
        _render(result, Console())
    sys.exit(0 if result.passed else 1)


@click.command()
@click.argument("project")
@click.argument("item")
@click.option("--by", "by", required=True, metavar="NAME", help="Who signs off.")
@click.option("--note", required=True, metavar="TEXT", help="What was checked, where, how.")
def signoff(project: str, item: str, by: str, note: str) -> None:
    """Record that NAME attests ITEM of PROJECT (valid until the evidence it covers changes)."""
    from workbench.core.projects import open_project
    from workbench.core.readiness import record_signoff

    record = record_signoff(open_project(project), item, by, note)
    click.echo(
        f"signed off {record.item_id} by {record.signed_by} on {record.signed_at} "
        f"(evidence: {record.evidence}, sha256 {record.fingerprint[:12]})"
    )

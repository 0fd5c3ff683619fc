"""``workbench eval import``: a promptfoo config as an eval set, variants and prompt versions."""

from __future__ import annotations

import json
from pathlib import Path

import click

_STYLE = {"mapped": "green", "approximated": "yellow", "not converted": "red"}


@click.command("import")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "set_name", help="Name of the eval set to write (default: from the file).")
@click.option(
    "--project",
    default=".",
    show_default=True,
    help="The workbench project to import into (name or folder).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be converted; write nothing.")
@click.option("--force", is_flag=True, help="Replace an existing set file of the same name.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, not a table.")
def import_command(config: Path, set_name, project, dry_run, force, as_json) -> None:
    """Convert a promptfoo config (prompts, providers, tests, assertions) into an eval set.

    \b
    Prompts become case inputs (their system messages prompt versions), providers
    variants in workbench.toml, tests cases (vars matrices expanded, file:// paths
    read from the config's folder). A table lists what mapped, what was
    approximated and how, and what could not be converted and why.
    """
    import tempfile

    from workbench.core.evals.loader import load_set
    from workbench.core.evals.promptfoo import import_config
    from workbench.core.evals.promptfoo.write import dump_set, write_plan
    from workbench.core.projects import open_project
    from workbench.errors import ConfigError

    if not config.is_file():
        raise ConfigError(f"{config}: no such file")
    proj = open_project(project)
    plan = import_config(config, proj.path, set_name)
    if not as_json:
        _print_report(plan)
    if plan.case_count == 0:
        raise ConfigError(f"{config}: no test converted to a case (the table says why)")
    with tempfile.TemporaryDirectory() as folder:
        check = Path(folder) / f"{plan.set_name}.yaml"
        check.write_text(dump_set(plan.document), encoding="utf-8")
        try:
            load_set(check)
        except ConfigError as error:  # the importer wrote something the loader refuses: a bug
            raise ConfigError(f"the converted set does not load: {error.message}") from None
    written = [] if dry_run else write_plan(plan, proj.path, force=force)
    if as_json:
        click.echo(json.dumps(_as_json(plan, written, dry_run), indent=2))
        return
    if dry_run:
        click.echo(f"dry run: would write {plan.set_path} ({plan.case_count} cases)")
        return
    for path in written:
        click.echo(f"wrote {path}")
    versions = f", {len(plan.prompt_versions)} prompt version(s)" if plan.prompt_versions else ""
    click.echo(f"{plan.case_count} cases, {len(plan.variants)} variant(s){versions}.")
    click.echo(f"run: workbench eval {proj.path} --set {plan.set_name}")


def _as_json(plan, written: list[Path], dry_run: bool) -> dict:
    return {
        "set": plan.set_name,
        "set_path": str(plan.set_path),
        "cases": plan.case_count,
        "variants": plan.variants,
        "prompt_versions": sorted(plan.prompt_versions),
        "dry_run": dry_run,
        "written": [str(path) for path in written],
        "rows": [
            {
                "item": row.item,
                "outcome": row.outcome,
                "detail": row.detail,
                "times": plan.report.times(row),
            }
            for row in plan.report.rows
        ],
    }


def _print_report(plan) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"promptfoo import -> evals/{plan.set_name}.yaml", show_lines=False)
    table.add_column("item", overflow="fold")
    table.add_column("outcome", no_wrap=True)
    table.add_column("how / why", overflow="fold")
    for row in plan.report.rows:
        times = plan.report.times(row)
        item = row.item + (f" (×{times})" if times > 1 else "")
        style = _STYLE[row.outcome]
        table.add_row(escape(item), f"[{style}]{row.outcome}[/]", escape(row.detail))
    console = Console(soft_wrap=False)
    console.print(table)
    counts = {outcome: len(plan.report.by_outcome(outcome)) for outcome in _STYLE}
    console.print(
        f"{counts['mapped']} mapped, {counts['approximated']} approximated,"
        f" {counts['not converted']} not converted"
    )

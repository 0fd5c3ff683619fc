"""``workbench eval merge``: combine the shards of one eval plan into one run, report, gate."""

from __future__ import annotations

import sys

import click

from workbench.core.figures import json_text


@click.command("merge")
@click.argument("sources", nargs=-1, required=True)
@click.option("--gate", is_flag=True, help="Exit 1 when the merged run's gate is not met.")
@click.option("--json", "as_json", is_flag=True, help="Print the merged report as JSON.")
def merge_command(sources: tuple[str, ...], gate: bool, as_json: bool) -> None:
    """Merge shard runs (RUN ids, results files, or folders of them) into one run.

    Every shard 1..N of one plan (same set, variants, repeats and gate) must be
    there exactly once, each complete; the merged run is stored like any other
    (`eval show`, `compare`) and reported with the same statistics and gate as
    an unsharded run of the plan.
    """
    from workbench.cli.eval_render import print_report
    from workbench.core.evals.merge import load_sources, merge_shards
    from workbench.core.evals.results import run_report
    from workbench.store.db import connect

    db = connect()
    shards = load_sources(db, list(sources))
    run_id = merge_shards(db, shards)
    report = run_report(db, run_id, with_outputs=True)
    note = f"merged {len(shards)} shards into eval run {run_id}"
    if as_json:
        click.echo(note, err=True)
        click.echo(json_text(report.model_dump(mode="json")))
        if gate and not report.gate.passed:
            click.echo(report.gate.summary(), err=True)
    else:
        click.echo(note)
        print_report(report, None)
        if gate:
            click.echo(report.gate.summary())
    if gate and not report.gate.passed:
        sys.exit(1)

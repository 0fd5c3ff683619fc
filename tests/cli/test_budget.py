"""``workbench budget``: the table and the JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from tests.core.test_budget import store_turn
from tests.core.test_runner_fakeproject import make_fake_project
from workbench.cli import cli
from workbench.store.db import connect


def test_budget_json_and_table(tmp_path: Path) -> None:
    project = make_fake_project(tmp_path / "fake")
    db = connect()
    store_turn(db, session="s9", cost=0.009, tokens=(700, 200), start_ns=time.time_ns())
    db.conn.close()
    runner = CliRunner()

    result = runner.invoke(cli, ["budget", str(project.path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    lines = {line["name"]: line for line in data["lines"]}
    assert data["session_id"] == "s9"
    assert lines["usd_per_request"]["crossed"] == [0.5, 0.8]
    assert lines["usd_per_request"]["exceeded"] is False
    assert lines["tokens_per_session"]["spent"] == 900
    assert data["by_model"][0]["key"] == "gpt-4o-mini"

    result = runner.invoke(cli, ["budget", str(project.path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "USD per request" in result.output
    assert "90.0%" in result.output
    assert "50%, 80%" in result.output
    assert "This month by variant" in result.output
    assert "baseline" in result.output


def test_budget_unknown_project_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["budget", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.startswith("error: no project")
    assert len(result.output.strip().splitlines()) == 1


def test_brief_shows_session_and_day_and_alerts(tmp_path: Path) -> None:
    from rich.console import Console

    from workbench.cli.budget import render_budget_brief
    from workbench.core.budget import budget_status

    project = make_fake_project(tmp_path / "fake")
    db = connect()
    store_turn(db, session="s9", cost=0.02, tokens=(300, 100), start_ns=time.time_ns())
    report = budget_status(db, project)
    console = Console(record=True, width=200)
    console.print(render_budget_brief(report))
    text = console.export_text()
    assert "session s9 400 of 1,000 tokens (40%)" in text
    assert "today $0.0200 of $1.00 (2%)" in text
    assert "USD per request (request " in text and "= 200%" in text

"""The README's tour, run line by line, offline and keyless: every line exits 0.

The tour runs in three parts (``tour_segments``), each in one shell in the README's order;
no part reads what another leaves behind, so they run on different workers at once (the
whole tour is ~4 minutes of CPU). A quick test checks the parts cover every line, in order.

The lines run exactly as written, in a scratch folder that stands in for the
repository root (its own ``projects/`` with a copy of the example, its own
``WORKBENCH_HOME``), with every provider key and proxy setting removed from the
environment, so a line that needs a key fails here as on a fresh machine; the
test machines reach no model provider, so a line that needs one fails too (and
a quick test checks that every ``--api-base`` is the server the tour starts).
Only the fixed port the tour names is swapped for a free one, so parallel runs
cannot clash. A dead proxy is not used: it turns DNS failures into refused
connections and so changes what the project's own tests see.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from tests.conftest import REPO_ROOT
from tests.core.test_readiness_template import TEMPLATE_GAPS
from workbench.core.projects import open_project
from workbench.core.readiness import ItemResult
from workbench.core.readiness.registry import NEEDS_MODEL, items_for
from workbench.core.serving import free_port

README = REPO_ROOT / "README.md"
TOUR_PORT = "8080"
MARK = "@@tour-line"
# Generous: the tour evaluates the readiness checklist twice (check, ship) and runs evals.
TIMEOUT_S = 1800


def tour_lines(readme: str) -> list[str]:
    """The non-empty lines of the first ``bash`` block under ``## A tour``."""
    match = re.search(r"^## A tour\n(.*?)^```bash\n(.*?)^```", readme, re.M | re.S)
    assert match, "README.md has no ```bash block under '## A tour'"
    return [line for line in match.group(2).splitlines() if line.strip()]


def tour_script(lines: list[str], port: int) -> str:
    """One bash script: each line, then its exit status (a failure is reported, not fatal,
    so one run names every line that fails)."""
    out = ["trap 'kill $(jobs -p) 2>/dev/null' EXIT"]  # no background server outlives the tour
    for number, line in enumerate(lines):
        out.append(line.replace(TOUR_PORT, str(port)))
        out.append(f"printf '\\n{MARK} {number} %d\\n' $? >&2")
    return "\n".join(out) + "\n"


def offline_environment(home: Path) -> dict[str, str]:
    """The caller's environment without keys or proxies of its own, pointed at scratch state."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not re.search(r"(API_KEY|_TOKEN|PROXY|^WORKBENCH_)", key, re.I)
    }
    env.update(
        WORKBENCH_HOME=str(home),
        WORKBENCH_COLLECTOR_PORT=str(free_port()),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def test_tour_lines_are_found_and_need_no_key_or_remote_server():
    lines = tour_lines(README.read_text(encoding="utf-8"))
    assert len(lines) >= 15
    commands = "\n".join(line.split("  #")[0] for line in lines)
    assert "--model replay" in commands and "--record" in commands
    assert commands.index("--record") < commands.index("--model replay")
    assert "ship support-agent --pretend" in commands
    # The fresh render's own tests run here only (tests/template/ lints the render).
    assert re.search(
        r"^workbench new (\S+)\s*\ncd projects/\1 && python -m pytest -q$", commands, re.M
    )
    for server in ("workbench dev", "workbench collect"):
        assert server not in commands, f"{server} runs until stopped: it belongs under Servers"
    for line in lines:
        if "--api-base" in line:
            assert "127.0.0.1:" + TOUR_PORT in line, "an api base the tour itself starts"


def tour_segments(lines: list[str]) -> dict[str, list[str]]:
    """The tour cut where no line depends on an earlier one, so the parts run in parallel.

    ``new``: scaffold a project and run its tests (nothing later reads it). ``turns``: one
    turn on the mock, recorded, replayed, then read back (traces, budget). ``ship``: evals,
    then the checklist and ship, which read those evals. Inside each part the order is the
    README's; each part starts from a fresh root and home, as the whole tour does.
    """
    commands = [line.split("  #")[0] for line in lines]
    turns = next(n for n, c in enumerate(commands) if c.startswith("workbench run "))
    ship = next(n for n, c in enumerate(commands) if c.startswith("workbench eval "))
    return {"new": lines[:turns], "turns": lines[turns:ship], "ship": lines[ship:]}


def run_tour(lines: list[str], tmp_path: Path) -> tuple[Path, str]:
    """Run ``lines`` in order in one shell in a scratch repository root; (root, output).

    Every line must exit 0 (a failure is reported with its output, not fatal to later lines).
    """
    root = tmp_path / "repo"
    shutil.copytree(
        REPO_ROOT / "projects" / "support-agent",
        root / "projects" / "support-agent",
        ignore=shutil.ignore_patterns(".data", "cassettes", "__pycache__", ".env", ".workbench"),
    )
    script = tmp_path / "tour.sh"
    script.write_text(tour_script(lines, free_port()), encoding="utf-8")
    log = tmp_path / "tour.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            ["bash", str(script)],
            cwd=root,
            env=offline_environment(tmp_path / "home"),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=TIMEOUT_S)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    # Between two marks: one line's output (and whatever a background server printed meanwhile).
    parts = re.split(rf"^{MARK} (\d+) (\d+)$", text, flags=re.M)
    outputs = parts[0::3]
    statuses = {int(n): int(code) for n, code in zip(parts[1::3], parts[2::3], strict=True)}
    assert len(statuses) == len(lines), f"the tour stopped early\n{text[-6000:]}"
    failed = [
        f"line {n + 1} exit {code}: {lines[n]}\n{outputs[n][-3000:]}"
        for n, code in statuses.items()
        if code
    ]
    assert not failed, "\n".join(["tour lines failed:", *failed])
    return root, text


def stored_verdicts(home: Path) -> dict[str, ItemResult]:
    """The readiness verdicts the tour's commands stored in ``home`` (latest per item)."""
    db = sqlite_utils.Database(home / "workbench.db")
    return {
        row["item_id"]: ItemResult.model_validate_json(row["result"])
        for row in db["readiness_verdicts"].rows
    }


def processes_in(folder: Path) -> list[int]:
    """Ids of the processes whose working directory is ``folder`` or below it (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder or folder in cwd.parents:
                found.append(int(entry.name))
    return found


def test_the_tour_parts_cover_every_line_once_in_order():
    lines = tour_lines(README.read_text(encoding="utf-8"))
    segments = tour_segments(lines)
    assert [line for part in segments.values() for line in part] == lines
    assert all(segments.values()), {name: len(part) for name, part in segments.items()}
    # What makes the cut safe: the later parts never name what the first one scaffolds, and
    # the only background server starts and stops inside one part.
    scaffolded = segments["new"][0].split()[2]
    assert segments["new"][0].startswith("workbench new ")
    for name in ("turns", "ship"):
        assert not any(scaffolded in line for line in segments[name]), name
    for name in ("new", "ship"):
        assert not any(line.split("  #")[0].rstrip().endswith("&") for line in segments[name])
    served = [n for n, line in enumerate(segments["turns"]) if "mock serve" in line]
    killed = [n for n, line in enumerate(segments["turns"]) if line.startswith("kill $!")]
    assert served and killed and served[0] < killed[0]


@pytest.mark.slow
def test_readme_tour_new_project_and_its_tests(tmp_path: Path) -> None:
    lines = tour_segments(tour_lines(README.read_text(encoding="utf-8")))["new"]
    root, text = run_tour(lines, tmp_path)
    assert (root / "projects" / "acme-support" / "workbench.toml").is_file()
    # The one run of a fresh render's own suite (tests/template/ lints it): all of it ran.
    summary = re.search(r"^=*\s*(\d+) passed.* in [\d.]+s", text, re.M)
    assert summary and int(summary.group(1)) >= 30, text[-3000:]


@pytest.mark.slow
def test_readme_tour_turns_record_and_replay(tmp_path: Path) -> None:
    lines = tour_segments(tour_lines(README.read_text(encoding="utf-8")))["turns"]
    root, _ = run_tour(lines, tmp_path)
    assert list((root / "projects" / "support-agent" / "cassettes").glob("*.json"))


@pytest.mark.slow
def test_readme_tour_evals_check_signoff_and_ship(tmp_path: Path) -> None:
    lines = tour_segments(tour_lines(README.read_text(encoding="utf-8")))["ship"]
    root, text = run_tour(lines, tmp_path)
    # What the tour promises along the way.
    assert "pretend: nothing written" in text
    assert re.search(r"^validated: \d+ check\(s\) passed", text, re.M), "ship validated"
    assert not (root / "projects" / "support-agent" / "Dockerfile").exists()
    signed = text.index("signed off observability.on-call by Ada")
    assert "observability.on-call" not in text[signed + 40 :], "ship still lists the signed item"

    # `ship` evaluated the whole checklist, static and dynamic, on the example (the template's
    # default render: tests/template/test_example_project.py); this is the suite's one full
    # check of the template (it starts the service for every probe and runs its tests). Every
    # automated item was judged (an item whose probe could not run stores no verdict) and
    # passes but the template's known gaps, and no probe process outlived the tour.
    project = root / "projects" / "support-agent"
    verdicts = stored_verdicts(tmp_path / "home")
    # What `ship` (no --model) evaluates: the project's checklist without the model items.
    listed = [item for item in items_for(open_project(project)) if item.id not in NEEDS_MODEL]
    automated = {item.id for item in listed if item.kind != "attested"}
    assert automated <= set(verdicts), f"not judged: {sorted(automated - set(verdicts))}"
    failing = {
        item_id: (verdict.status, verdict.evidence, verdict.hint)
        for item_id, verdict in verdicts.items()
        if verdict.status != "pass"
    }
    assert set(failing) <= TEMPLATE_GAPS, failing
    assert all(verdicts[item_id].status == "fail" and verdicts[item_id].hint for item_id in failing)
    dynamic = [v for v in verdicts.values() if v.kind == "dynamic" and v.status == "pass"]
    assert any("trace " in evidence for verdict in dynamic for evidence in verdict.evidence)
    assert processes_in(root) == [], "probe processes outlived the tour"

"""Record a turn against a "real" OpenAI-compatible model, replay it offline at zero cost.

The real model is a second mock server (the example's rules) reached as
``openai/gpt-4o-mini`` at an api base, exactly as a llama.cpp or vLLM server would be.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from tests.core.test_runner_fakeproject import make_fake_project
from tests.template.test_example_project import drift
from workbench.core.mock import start_mock
from workbench.core.mock.upstream import check_reachable, upstream_key
from workbench.core.runner.stack import LocalStack, choose_target
from workbench.core.scaffold import scaffold_project, update_project
from workbench.core.serving import free_port, serve_in_thread
from workbench.errors import ModelError, WorkbenchError

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Help me return order 12345"
SECRET = "sk-test-SECRET123-do-not-store"


def run_cli(project: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m workbench run PROJECT …`` with its own home, collector port and the key."""
    environment = dict(
        os.environ,
        WORKBENCH_HOME=str(home),
        WORKBENCH_COLLECTOR_PORT=str(free_port()),
        OPENAI_API_KEY=SECRET,
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(project), *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the example, without cassettes, with the key in its ``.env``."""
    target = tmp_path / "support-agent"
    shutil.copytree(
        REPO / "projects" / "support-agent",
        target,
        ignore=shutil.ignore_patterns(".data", "__pycache__", "cassettes", ".env"),
    )
    (target / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n")
    return target


def files_holding(text: str, *folders: Path) -> list[Path]:
    """Every file under ``folders`` whose bytes contain ``text``."""
    needle = text.encode()
    return [
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


@pytest.mark.slow
def test_recorded_turn_replays_offline_identically_and_free(
    project: Path, workbench_home: Path
) -> None:
    _, extra_before, _ = drift(project)  # [] unless the template is being edited right now
    upstream = start_mock(project_dir=project, port=free_port(), mode="rules")
    try:
        recorded = run_cli(
            project,
            workbench_home,
            QUESTION,
            "--model",
            "openai/gpt-4o-mini",
            "--api-base",
            upstream.api_base,
            "--record",
            "--json",
        )
        upstream_calls = upstream.state.calls
    finally:
        upstream.stop()
    assert recorded.returncode == 0, recorded.stderr
    first = json.loads(recorded.stdout)
    assert (first["status"], first["model_source"]) == ("ok", "record")
    assert first["model"] == "openai/gpt-4o-mini"
    assert {"lookup_order", "check_return_eligibility"} <= {c["name"] for c in first["tool_calls"]}
    # The upstream is a local server: what it costs is unknown, whatever model name it echoes
    # (gpt-4o-mini here), so its calls are unpriced rather than charged gpt-4o-mini's price.
    recorded_llm = [span for span in first["trace"]["spans"] if span["kind"] == "llm"]
    assert recorded_llm and all(span["cost_usd"] is None for span in recorded_llm)
    cassettes = sorted((project / "cassettes").glob("*.json"))
    assert len(cassettes) == first["steps"] == upstream_calls >= 3

    # The upstream is gone: only the cassettes can answer now.
    replayed = run_cli(project, workbench_home, QUESTION, "--model", "replay", "--json")
    assert replayed.returncode == 0, replayed.stderr
    second = json.loads(replayed.stdout)
    assert second["status"] == "ok"
    assert second["model_source"] == "replay"
    assert second["output"] == first["output"]
    assert [(c["name"], c["arguments"]) for c in second["tool_calls"]] == [
        (c["name"], c["arguments"]) for c in first["tool_calls"]
    ]
    assert second["usage"]["input_tokens"] == first["usage"]["input_tokens"]
    assert second["usage"]["output_tokens"] == first["usage"]["output_tokens"]
    assert second["trace"]["cost_usd"] == 0
    llm_spans = [span for span in second["trace"]["spans"] if span["kind"] == "llm"]
    assert len(llm_spans) == first["steps"]
    assert all(span["attributes"]["workbench.model_source"] == "replay" for span in llm_spans)
    assert all(span["cost_usd"] == 0 for span in llm_spans)
    assert second["trace"]["input_tokens"] > 0, "replayed calls keep their real token counts"

    # A request that was never recorded: strict replay says which one, on one line.
    missed = run_cli(project, workbench_home, "Where is order 99999?", "--model", "replay")
    assert missed.returncode == 2
    assert "Traceback" not in missed.stderr
    lines = missed.stderr.strip().splitlines()
    assert len(lines) == 1, missed.stderr
    assert lines[0].startswith("error: replay found no cassette for request ")
    assert str(project / "cassettes") in lines[0]
    assert len(list((project / "cassettes").glob("*.json"))) == len(cassettes)

    cassette_text = "".join(path.read_text() for path in cassettes)
    assert "gpt-4o-mini" in cassette_text and "lookup_order" in cassette_text
    assert (workbench_home / "workbench.db").is_file()
    assert list((workbench_home / "logs").glob("*.log")), "the runner keeps a log"
    leaks = files_holding(SECRET, workbench_home, project / "cassettes")
    assert not leaks, f"the API key was written to {leaks}"
    assert files_holding("sk-test-SECRET123", project) == [project / ".env"]

    # The recordings are local artefacts: out of git, so out of the drift comparison.
    _, extra_after, _ = drift(project)
    assert set(extra_after) - set(extra_before) == set(), "recording made the example drift"


@pytest.mark.slow
def test_unreachable_api_base_is_one_line_and_quick(project: Path, workbench_home: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    done = run_cli(project, workbench_home, QUESTION, "--model", "openai/local", "--api-base", dead)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: model openai/local: cannot connect to {dead} (Connection refused); "
        "check the api base, or that the server is running"
    ]
    # No turn ran, so no model call and no retries against an address where nothing
    # listens: without the connection check the agent would try it, retry, and store the
    # turn's trace (a "chat" span with its retries) before failing.
    traces = sqlite_utils.Database(workbench_home / "workbench.db")["traces"]
    assert traces.count == 0, "a turn ran against the dead api base"
    assert not (project / "cassettes").exists()


def test_record_and_api_base_need_a_real_model(tmp_path: Path) -> None:
    fake = make_fake_project(tmp_path)
    with pytest.raises(WorkbenchError, match=r"--record needs a real model"):
        choose_target(fake, model="replay", variant=None, record=True)
    with pytest.raises(WorkbenchError, match=r"--api-base needs a real model.*'mock'"):
        choose_target(fake, model=None, variant=None, api_base="http://127.0.0.1:1/v1")
    target = choose_target(
        fake, model="openai/local", variant=None, api_base="http://h:1/v1", record=True
    )
    assert (target.model, target.source, target.api_base) == (
        "openai/local",
        "record",
        "http://h:1/v1",
    )


def test_a_real_model_request_carries_the_api_base_and_no_key(tmp_path: Path) -> None:
    stack = LocalStack(
        make_fake_project(tmp_path), model="openai/local", api_base="http://127.0.0.1:9/v1"
    )
    request = stack.request("hi", session_id="s1")
    assert request["model"] == "openai/local"
    assert request["api_base"] == "http://127.0.0.1:9/v1"
    assert "api_key" not in request
    assert request["span_attributes"]["workbench.model_source"] == "real"


def test_check_reachable() -> None:
    with pytest.raises(ModelError, match=r"^model m: cannot connect to http://127\.0\.0\.1:"):
        check_reachable("m", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ModelError, match=r"is not an http\(s\) URL"):
        check_reachable("m", "127.0.0.1:8080/v1")
    with pytest.raises(ModelError, match=r"invalid port"):
        check_reachable("m", "http://127.0.0.1:99999/v1")

    async def app(scope, receive, send):  # pragma: no cover - only needs to accept a connection
        return None

    running = serve_in_thread(app, host="127.0.0.1", port=0, name="reachable")
    try:
        check_reachable("m", running.url + "/v1")
    finally:
        running.stop()


def test_upstream_key_comes_from_the_environment_or_dotenv() -> None:
    assert upstream_key("openai/gpt-4o-mini", {"OPENAI_API_KEY": "k1"}) == "k1"
    env = {"OPENAI_API_KEY": "k1", "WORKBENCH_MOCK_UPSTREAM_API_KEY": "k2"}
    assert upstream_key("openai/gpt-4o-mini", env) == "k2"
    assert upstream_key("anthropic/claude-3-5-haiku-latest", {"ANTHROPIC_API_KEY": "k3"}) == "k3"
    assert upstream_key("openai/gpt-4o-mini", {}) is None
    assert upstream_key("not a model", {"OPENAI_API_KEY": "k1"}) is None


def test_update_keeps_recorded_cassettes_and_local_state(workbench_home: Path) -> None:
    """``workbench update`` merges template files only: recordings and .data/ are left alone."""
    result = scaffold_project("support-agent", directory=workbench_home / "projects")
    cassette = result.path / "cassettes" / "0123abcd.json"
    cassette.parent.mkdir()
    cassette.write_text('{"response": {}}\n')
    memory = result.path / ".data" / "memory.sqlite3"
    memory.parent.mkdir(exist_ok=True)
    memory.write_bytes(b"local state")

    update = update_project(result.path)

    assert cassette.read_text() == '{"response": {}}\n'
    assert memory.read_bytes() == b"local state"
    touched = [*update.updated, *update.merged, *update.conflicts, *update.added, *update.removed]
    assert not [path for path in touched if path.startswith(("cassettes/", ".data/"))]
    assert drift(result.path) == ([], [], [])

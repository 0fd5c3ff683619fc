"""``workbench ship`` on adopted projects: files from what ``init`` learned, or what is missing.

Both fixtures under tests/fixtures/agents/ are adopted, shipped and their files run through
the real validators; the image's command is started as the image would start it (without
Docker) and answers its probes and a turn against the mock model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from workbench.cli import cli
from workbench.core.projects import open_project
from workbench.core.ship import ChecklistStatus, plan_ship, validate_files, write_ship
from workbench.core.ship.adopted import ShipIncomplete
from workbench.core.ship.adopted_deps import plan_dependencies
from workbench.core.ship.adopted_entry import read_entry_call

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agents"
PASSED = ChecklistStatus(evaluated=True, passed=True)
# fixture -> (entry, a message the mock answers with a tool call, that tool)
AGENTS = {
    "openai-shop": ("shop_assistant.agent:answer", "Where is my order 12345?", "get_order_status"),
    "langgraph-travel": ("travel_graph.graph:ask", "Any flights to Paris today?", "find_flights"),
}


def adopt(tmp_path: Path, fixture: str, *args: str) -> Path:
    """A copy of ``fixture`` adopted with ``workbench init --yes``."""
    folder = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, folder)
    result = CliRunner().invoke(cli, ["init", str(folder), "--yes", *args])
    assert result.exit_code == 0, result.output
    return folder


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def declare(folder: Path, table: str) -> None:
    """Append a table to the project's workbench.toml."""
    with (folder / "workbench.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + table)


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(AGENTS))
def test_a_function_agent_ships_validated_files(fixture: str, tmp_path: Path) -> None:
    """Dockerfile, server, CI with the eval gate and probed manifests; every validator passes."""
    folder = adopt(tmp_path, fixture)
    entry = AGENTS[fixture][0]
    plan = plan_ship(open_project(folder), checklist=PASSED)
    files = {file.path: file.content for file in plan.files}

    dockerfile = files["Dockerfile"]
    assert "COPY pyproject.toml ./" in dockerfile  # the fixture's own dependency list
    assert "starlette==" in dockerfile and "uvicorn==" in dockerfile  # the server's, pinned
    cmd = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1))
    assert cmd[:2] == ["uvicorn", "workbench_server:app"]
    assert "api.app" not in dockerfile and "src/" not in dockerfile  # no template layout
    module, function = entry.split(":")
    assert f"from {module} import {function} as entry" in files["workbench_server.py"]

    deployment = files["k8s/base/deployment.yaml"]
    assert "path: /healthz" in deployment and "path: /readiness" in deployment
    pre_merge = files[".github/workflows/pre-merge.yml"]
    assert "workbench eval . --set smoke --variants baseline --gate" in pre_merge
    assert "ruff check" not in pre_merge  # the fixture does not use ruff: CI does not impose it
    assert "workbench eval" in files[".github/workflows/post-merge.yml"]

    results = validate_files(plan)
    validators = {result.validator.split(" (")[0] for result in results}
    assert validators >= {"hadolint", "check-jsonschema", "zizmor", "kubernetes-validate"}
    assert [r for r in results if r.skipped] == []
    assert [(r.validator, r.file, r.findings) for r in results if not r.ok] == []
    # ruff's defaults (line length 88), so a project that lints with ruff accepts it as is.
    for command in (["check"], ["format", "--check"]):
        ruff = [sys.executable, "-m", "ruff", *command, "--no-cache", "--isolated"]
        ruff += ["--stdin-filename", "workbench_server.py", "-"]
        done = subprocess.run(
            ruff, input=files["workbench_server.py"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(AGENTS))
def test_the_images_command_serves_the_agent(fixture: str, tmp_path: Path) -> None:
    """The Dockerfile's CMD, run with its PYTHONPATH, answers its probes and a turn on the mock."""
    pytest.importorskip("openinference.instrumentation.openai")
    if fixture == "langgraph-travel":
        pytest.importorskip("langgraph")
    from workbench.core.mock import start_mock
    from workbench.core.serving import free_port

    folder = adopt(tmp_path, fixture)
    plan = plan_ship(open_project(folder), checklist=PASSED)
    write_ship(plan)
    dockerfile = (folder / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1))
    pythonpath = re.search(r"PYTHONPATH=(\S+)", dockerfile).group(1)
    port = free_port()
    # As in the image, with /app being the project folder; bound to 127.0.0.1 for the test.
    argv = [sys.executable, "-m", *cmd]
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(port)
    mock = start_mock(project_dir=folder)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath.replace("/app", str(folder)),
        # The agent's own configuration, as a deployment sets it: its SDK's base URL variable.
        "OPENAI_BASE_URL": mock.api_base,
        "OPENAI_API_KEY": "workbench-no-key",
        "OTEL_SDK_DISABLED": "true",
    }
    process = subprocess.Popen(argv, cwd=folder, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        # One client for every poll (`httpx.get` builds a client and TLS context per call).
        with httpx.Client(timeout=5) as http:
            while True:
                assert process.poll() is None, process.stderr.read()
                try:
                    health = http.get(base + "/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the server never answered"
                    time.sleep(0.2)
        assert health.status_code == 200
        assert httpx.get(base + "/readiness", timeout=5).status_code == 200
        _, message, tool = AGENTS[fixture]
        turn = httpx.post(base + "/chat", json={"message": message, "session_id": "s1"}, timeout=60)
        assert turn.status_code == 200, turn.text
        assert turn.json()["reply"].startswith(f"Here is what {tool} found")
        bad = httpx.post(base + "/chat", json={"text": "no message"}, timeout=10)
        assert bad.status_code == 400 and "message" in bad.json()["error"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        mock.stop()


def test_an_http_agent_without_command_and_health_route_gets_the_missing_list(
    tmp_path: Path,
) -> None:
    """Nothing is written; each missing fact says how to declare it; exit 1."""
    folder = adopt(tmp_path, "openai-shop", "--url", "http://127.0.0.1:8080/chat")
    before = tree(folder)
    result = CliRunner().invoke(cli, ["ship", str(folder)])
    assert result.exit_code == 1
    assert "[deploy] command = [" in result.output
    assert '[deploy] health_path = "/healthz"' in result.output
    assert "port:" not in result.output  # learned from [agent.http] url
    assert "2 thing(s) missing (listed above); nothing was written" in result.output
    assert tree(folder) == before


def test_an_http_agent_ships_its_own_command_port_and_routes(tmp_path: Path) -> None:
    """Declared in [deploy]: the CMD is the user's, the probes use the declared routes."""
    folder = adopt(tmp_path, "openai-shop", "--url", "http://127.0.0.1:8080/chat")
    declare(
        folder,
        '[deploy]\ncommand = ["python", "-m", "shop_assistant.web"]\n'
        'health_path = "/livez"\nreadiness_path = "/readyz"\n',
    )
    files = {f.path: f.content for f in plan_ship(open_project(folder), checklist=PASSED).files}
    assert 'CMD ["python", "-m", "shop_assistant.web"]' in files["Dockerfile"]
    assert "EXPOSE 8080" in files["Dockerfile"] and "127.0.0.1:8080/livez" in files["Dockerfile"]
    assert "workbench_server.py" not in files
    deployment = files["k8s/base/deployment.yaml"]
    assert "path: /livez" in deployment and "path: /readyz" in deployment
    assert "containerPort: 8080" in deployment and "/healthz" not in deployment


def test_an_http_agent_without_a_port_is_told_to_declare_one(tmp_path: Path) -> None:
    folder = adopt(tmp_path, "openai-shop", "--url", "https://agent.internal/chat")
    declare(folder, '[deploy]\ncommand = ["serve"]\nhealth_path = "/healthz"\n')
    with pytest.raises(ShipIncomplete) as raised:
        plan_ship(open_project(folder), checklist=PASSED)
    assert raised.value.missing == [
        "port: the port your service listens on in the image: [deploy] port = 8000"
    ]


def test_a_project_without_dependency_files_is_not_shipped(tmp_path: Path) -> None:
    folder = adopt(tmp_path, "openai-shop")
    (folder / "pyproject.toml").unlink()
    with pytest.raises(ShipIncomplete) as raised:
        plan_ship(open_project(folder), checklist=PASSED)
    assert raised.value.missing[0].startswith("dependencies: add requirements.txt")


def test_dependency_files_are_used_as_found(tmp_path: Path) -> None:
    """A lock wins over a loose list; requirements.txt with hashes is installed hash-checked."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["openai"]\n')
    assert plan_dependencies(tmp_path).copy == ["pyproject.toml"]
    (tmp_path / "requirements.txt").write_text("-r base.txt\n")
    (tmp_path / "base.txt").write_text("openai==1.99.0 --hash=sha256:00\n")
    txt = plan_dependencies(tmp_path)
    assert txt.copy == ["requirements.txt", "base.txt"]
    assert "--require-hashes" in txt.commands[0]
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "fastapi"\n')
    uv = plan_dependencies(tmp_path)
    assert uv.copy == ["pyproject.toml", "uv.lock"] and "uv export --frozen" in uv.commands[2]
    assert [pin.split("==")[0] for pin in uv.server_requirements()] == ["uvicorn"]
    (tmp_path / "requirements.lock").write_text("openai==1.99.0 --hash=sha256:00\n")
    assert plan_dependencies(tmp_path).copy == ["requirements.lock"]
    (tmp_path / "requirements.lock").unlink()
    (tmp_path / "uv.lock").unlink()
    (tmp_path / "base.txt").write_text("-e .\n")
    assert "installs a local path" in plan_dependencies(tmp_path).problems[0]


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        (
            "question, history=None, *, model='m', base_url=None",
            ("question=message", "history=history"),
        ),
        ("request", ("request",)),
        ("message, /, thread_id='default'", ("message", "thread_id=session_id")),
        ("text, model", "parameter 'model' is required"),
        ("text, user_id", "parameter 'user_id' is required"),
        ("history=None", "no parameter takes the message"),
    ],
)
def test_the_server_binds_the_entry_by_the_adapter_contract(
    tmp_path: Path, signature: str, expected: tuple[str, ...] | str
) -> None:
    """Only what a caller sends is passed; a required model setting is reported, not guessed."""
    (tmp_path / "agent.py").write_text(f"def reply({signature}):\n    return ''\n")
    call = read_entry_call(tmp_path, ".", "agent:reply")
    if isinstance(expected, str):
        assert isinstance(call, str) and expected in call
    else:
        assert call.arguments == expected


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("requirements.lock", "openai==1.99.0 --hash=sha256:00\n", "--require-hashes -r"),
        ("uv.lock", "version = 1\n", "/tmp/tools/bin/uv export --frozen"),
        ("poetry.lock", "[metadata]\n", "/tmp/tools/bin/poetry export --only main"),
        ("requirements.txt", "openai>=1.99\n", "pip install --no-cache-dir -r requirements.txt"),
    ],
)
def test_each_dependency_file_gives_a_dockerfile_hadolint_accepts(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    from workbench.core.ship.validators import hadolint

    folder = adopt(tmp_path, "openai-shop")
    (folder / name).write_text(text)
    files = {f.path: f.content for f in plan_ship(open_project(folder), checklist=PASSED).files}
    assert expected in files["Dockerfile"]
    copied = f"pyproject.toml {name}" if name in ("uv.lock", "poetry.lock") else name
    assert f"COPY {copied} ./" in files["Dockerfile"]
    (tmp_path / "Dockerfile").write_text(files["Dockerfile"])
    (result,) = hadolint(tmp_path, ["Dockerfile"])
    assert result.ok and not result.skipped, result.findings


def test_an_http_agents_probe_routes_are_read_from_its_source(tmp_path: Path) -> None:
    """Routes the service registers are used, with where they are; a declaration wins."""
    folder = adopt(tmp_path, "openai-shop", "--url", "http://127.0.0.1:8080/chat")
    (folder / "shop_assistant" / "web.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/livez")\ndef live():\n    return {}\n\n\n'
        '@app.get("/readyz")\ndef ready():\n    return {}\n'
    )
    declare(folder, '[deploy]\ncommand = ["uvicorn", "shop_assistant.web:app"]\n')
    plan = plan_ship(open_project(folder), checklist=PASSED)
    deployment = next(f.content for f in plan.files if f.path == "k8s/base/deployment.yaml")
    assert "path: /livez" in deployment and "path: /readyz" in deployment
    assert "probe route /livez, registered at shop_assistant/web.py:6" in plan.notes
    declare(folder, 'health_path = "/healthz"\n')
    plan = plan_ship(open_project(folder), checklist=PASSED)
    deployment = next(f.content for f in plan.files if f.path == "k8s/base/deployment.yaml")
    assert "path: /healthz" in deployment and "path: /readyz" in deployment

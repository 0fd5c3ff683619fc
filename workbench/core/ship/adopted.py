"""``workbench ship`` on an adopted project: the ship context from what ``init`` learned.

A function agent (``[agent] adapter = "function"``) is served by a small generated server
(``workbench_server.py``: Starlette under uvicorn) that calls its entry under the adapter
contract, with ``/healthz`` and ``/readiness`` of its own. An HTTP agent runs its own
service: the image needs the command that starts it, its port and its probe routes, from
``[deploy]`` (the port may come from ``[agent.http] url``). Whatever is unknown is listed
with how to declare it (``ShipIncomplete``); nothing is guessed.
"""

from __future__ import annotations

import ast
import shlex
from urllib.parse import urlsplit

from workbench.core.adopt.detect import python_files
from workbench.core.projects import Project
from workbench.core.ship.adopted_deps import plan_dependencies
from workbench.core.ship.adopted_entry import EntryCall, read_entry_call
from workbench.core.ship.adopted_routes import probe_routes
from workbench.core.ship.context import (
    PYTHON_IMAGES,
    SECRET_KEY,
    ShipContext,
    _python_minor,
    _read_toml,
    state_backend,
)
from workbench.core.ship.evalplan import plan_evals
from workbench.errors import CheckFailed

SERVER_MODULE = "workbench_server"
SERVER_FILE = f"{SERVER_MODULE}.py"
DEFAULT_PORT = 8000
LIVENESS, READINESS = "/healthz", "/readiness"
HOW_COMMAND = (
    '[deploy] command = ["uvicorn", "my_agent.app:app", "--host", "0.0.0.0", "--port", "8000"]'
    " (the argv that starts your service in the image, listening on 0.0.0.0)"
)


class ShipIncomplete(CheckFailed):
    """Ship lacks facts to generate an adopted project's files; ``missing`` says which."""

    def __init__(self, project: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"ship cannot generate {project}'s files: {len(missing)} thing(s) missing, "
            f"nothing was written: {'; '.join(missing)}"
        )


def adopted_context(project: Project) -> ShipContext:
    """The ship context of an adopted project, or ``ShipIncomplete`` naming what is missing."""
    root, config = project.path, project.config
    deploy = config.deploy
    missing: list[str] = []
    notes: list[str] = []
    deps = plan_dependencies(root)
    if deps is None:
        missing.append(
            "dependencies: add requirements.txt, a lock (requirements.lock from "
            f"`workbench lock {root}`, uv.lock or poetry.lock) or [project] dependencies "
            "in pyproject.toml"
        )
    else:
        missing += deps.problems
        notes.append(f"the image installs the dependencies from {deps.source}")
    call: EntryCall | None = None
    if config.agent.adapter == "http":
        port, health, readiness, command = _http_service(project, missing, notes)
    else:
        entry = read_entry_call(root, config.agent.src, config.agent.entry)
        if isinstance(entry, str):
            missing.append(
                f"{entry}; point [agent] entry at a function the server can call (docs/adopt.md)"
            )
        else:
            call = entry
        port = deploy.port or DEFAULT_PORT
        health = deploy.health_path or LIVENESS
        readiness = deploy.readiness_path or READINESS
        command = _server_command(port)
        notes.append(
            f"{SERVER_FILE} serves {config.agent.entry} (POST /chat, GET {health}, GET {readiness})"
        )
    if missing:
        raise ShipIncomplete(project.name, missing)
    assert deps is not None
    server_requirements = deps.server_requirements() if call else []
    pyproject = _read_toml(root / "pyproject.toml")
    minor = _python_minor(pyproject)
    evals = plan_evals(project)
    src = config.agent.src.strip("/") or "."
    secrets = sorted(_secret_names(project))
    env_key = "APP_ENV"
    config_env = {
        env_key: "production",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability.svc:4318",
        "OTEL_SERVICE_NAME": project.name,
    }
    return ShipContext(
        name=project.name,
        package=project.package,
        description=config.project.description,
        service=command[1] if command[:1] == ["uvicorn"] and len(command) > 1 else "",
        src=src,
        python_image=PYTHON_IMAGES[minor],
        python_version=minor,
        port=port,
        copy_paths=[src] if src != "." else ["."],
        env_key=env_key,
        config_env=dict(sorted(config_env.items())),
        secret_keys=secrets,
        state=state_backend(project),
        evals=evals,
        dev_extra=False,
        project_spec=".",
        lock=deps.source if deps.source == "requirements.lock" else None,
        has_tests=(root / "tests").is_dir(),
        image=f"ghcr.io/OWNER/{project.name}",
        image_tag=str(pyproject.get("project", {}).get("version") or "latest"),
        notes=[*notes, *evals.notes],
        kind="adopted",
        health_path=health,
        readiness_path=readiness,
        command=command,
        pythonpath="/app" if src == "." else f"/app/{src}:/app",
        dependency_files=deps.copy,
        dependency_commands=deps.commands,
        server_requirements=server_requirements,
        entry_module=call.module if call else "",
        entry_function=call.function if call else "",
        entry_arguments=list(call.arguments) if call else [],
        lint=_uses_ruff(root, pyproject),
    )


def _server_command(port: int) -> list[str]:
    return [
        "uvicorn",
        f"{SERVER_MODULE}:app",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "100",
        "--no-server-header",
    ]


def _http_service(
    project: Project, missing: list[str], notes: list[str]
) -> tuple[int, str, str, list[str]]:
    """(port, liveness path, readiness path, command) of an HTTP agent's own service."""
    deploy, http = project.config.deploy, project.config.agent.http
    url_port = urlsplit(http.url).port if http is not None else None
    port = deploy.port or url_port
    if deploy.port is None and url_port is not None:
        notes.append(f"port {url_port}, from [agent.http] url")
    if port is None:
        missing.append("port: the port your service listens on in the image: [deploy] port = 8000")
    if not deploy.command:
        missing.append(f"start command: {HOW_COMMAND}")
    live, ready = probe_routes(project.path, project.src_dir)
    health = deploy.health_path or (live.path if live else "")
    readiness = deploy.readiness_path or (ready.path if ready else "") or health
    for declared, found in ((deploy.health_path, live), (deploy.readiness_path, ready)):
        if not declared and found is not None:
            notes.append(f"probe route {found.path}, registered at {found.where}")
    if not health:
        missing.append(
            'health route: the liveness path of your service: [deploy] health_path = "/healthz" '
            '(and readiness_path = "/ready" if it has a readiness route)'
        )
    elif readiness == health and not deploy.readiness_path and ready is None:
        notes.append(f"no readiness route declared or found: the readiness probe uses {health}")
    if deploy.command:
        notes.append(f"the image runs {shlex.join(deploy.command)}")
    return port or 0, health, readiness, list(deploy.command or [])


def _secret_names(project: Project) -> set[str]:
    """Secret-looking variables the agent reads (``os.environ[...]``, ``getenv``), and its key."""
    names: set[str] = set()
    if project.config.models.api_key_env:
        names.add(project.config.models.api_key_env)
    for path in python_files(project.src_dir):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if value.isupper() and value.isidentifier() and SECRET_KEY.search(value):
                    names.add(value)
    return names


def _uses_ruff(root, pyproject: dict) -> bool:
    """Whether the project lints with ruff (its CI then runs it too)."""
    return "ruff" in pyproject.get("tool", {}) or any(
        (root / name).is_file() for name in ("ruff.toml", ".ruff.toml")
    )

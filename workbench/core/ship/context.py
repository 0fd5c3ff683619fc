"""What the generated files need to know about a project, detected from its files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from workbench import __version__
from workbench.core.projects import Project
from workbench.core.ship.evalplan import EvalPlan, plan_evals

# Slim Debian images by the lowest Python minor the project allows; a tag pinned
# to the patch release (digest pinning is documented in docs/shipping.md).
PYTHON_IMAGES = {
    "3.11": "python:3.11.13-slim-bookworm",
    "3.12": "python:3.12.11-slim-bookworm",
    "3.13": "python:3.13.5-slim-bookworm",
}
DEFAULT_PYTHON = "3.11"
ANSWERS_FILES = (".copier-answers.yml", ".copier-answers.yaml")
SECRET_KEY = re.compile(r"(KEY|KEYS|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|DSN)(_|$)")
LOCAL_VALUE = re.compile(r"(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])")
ENVIRONMENT_KEY = re.compile(r"(^|_)(ENV|ENVIRONMENT)$")
FALSY = {"", "none", "no", "false", "off", "0"}


class QueueInfo(BaseModel):
    """A worker queue the project uses, scaled on by KEDA (a Redis list)."""

    list_name: str
    address_env: str = "REDIS_ADDRESS"


class ShipContext(BaseModel):
    """The variables every ship template renders with."""

    name: str
    package: str
    description: str = ""
    service: str
    src: str = "src"
    python_image: str
    python_version: str = DEFAULT_PYTHON
    port: int = 8000
    copy_paths: list[str]
    env_key: str = "APP_ENV"
    config_env: dict[str, str] = Field(default_factory=dict)
    secret_keys: list[str] = Field(default_factory=list)
    optional_secret_keys: list[str] = Field(default_factory=list)
    redis: bool = False
    redis_url_key: str = "REDIS_URL"
    # Where the shipped service keeps shared state ([deploy] state): "sqlite" is one
    # process (ship refuses replicas and autoscaling), "redis" any number of replicas.
    state: Literal["sqlite", "redis"] = "sqlite"
    queue: QueueInfo | None = None
    evals: EvalPlan
    dev_extra: bool = False
    install_extras: list[str] = Field(default_factory=list)
    # What CI installs with ``pip install -e``: the project with its dev and store extras.
    project_spec: str = "."
    # Hash-checked locks the image and CI install from (None: the project has none).
    lock: str | None = None
    dev_lock: str | None = None
    has_tests: bool = False
    image: str
    image_tag: str = "latest"
    workbench_version: str = __version__
    notes: list[str] = Field(default_factory=list)
    # "adopted": foreign code adopted by ``workbench init`` (workbench/core/ship/adopted.py):
    # its own Dockerfile and dependency install, a generated server for a function agent.
    kind: Literal["template", "adopted"] = "template"
    health_path: str = "/healthz"
    readiness_path: str = "/readiness"
    # Adopted projects only: the image's CMD, PYTHONPATH, how dependencies are installed
    # (files copied, shell commands), the server's packages the project lacks, and the
    # entry the generated server calls (empty for an HTTP agent's own service).
    command: list[str] = Field(default_factory=list)
    pythonpath: str = ""
    dependency_files: list[str] = Field(default_factory=list)
    dependency_commands: list[str] = Field(default_factory=list)
    server_requirements: list[str] = Field(default_factory=list)
    entry_module: str = ""
    entry_function: str = ""
    entry_arguments: list[str] = Field(default_factory=list)
    # CI lints with ruff (always for a template project; an adopted one when it uses ruff).
    lint: bool = True


def build_context(project: Project) -> ShipContext:
    """Detect everything the ship templates need from ``project``'s files.

    An adopted project's context comes from what ``init`` learned, or ``ShipIncomplete``.
    """
    if project.config.project.kind == "adopted":
        from workbench.core.ship.adopted import adopted_context

        return adopted_context(project)
    root = project.path
    config = project.config
    notes: list[str] = []
    pyproject = _read_toml(root / "pyproject.toml")
    answers = _read_answers(root)
    raw_config = _read_toml(root / "workbench.toml")
    env_template = read_env_template(root / ".env.template")

    service = config.agent.service
    if not service:
        service = f"{project.package}.api.app:app"
        notes.append(f"[agent] service is not set; the image serves {service}")
    deps = " ".join(pyproject.get("project", {}).get("dependencies", []))
    if "uvicorn" not in deps:
        notes.append("pyproject.toml does not depend on uvicorn, which the image's CMD runs")

    state = state_backend(project)
    redis = state == "redis"
    redis_url_key = next(
        (k for k in env_template if k.endswith("STATE_URL")),
        next((k for k in env_template if k.endswith("REDIS_URL")), "REDIS_URL"),
    )
    queue = _queue(project, answers, raw_config, env_template)
    env_key = next((k for k in env_template if ENVIRONMENT_KEY.search(k)), "APP_ENV")
    config_env, secret_keys, optional_secrets = _split_env(env_template, env_key)
    config_env.update(
        {
            env_key: "production",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability.svc:4318",
            "OTEL_SERVICE_NAME": project.name,
        }
    )
    if redis:
        # The state store's URL carries its password: a Secret key, never the ConfigMap. The
        # backend is pinned to redis, so a missing URL fails readiness instead of each pod
        # quietly keeping its own SQLite state.
        secret_keys.append(redis_url_key)
        backend_key = next((k for k in env_template if k.endswith("MEMORY_BACKEND")), None)
        if backend_key:
            config_env[backend_key] = "redis"
    elif queue:
        config_env[redis_url_key] = "redis://redis:6379/0"
    if queue:
        config_env[queue.address_env] = "redis:6379"

    evals = plan_evals(project)
    notes.extend(evals.notes)
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    install_extras = ["redis"] if (redis or queue) and "redis" in extras else []
    ci_extras = (["dev"] if "dev" in extras else []) + install_extras
    minor = _python_minor(pyproject)
    return ShipContext(
        name=project.name,
        package=project.package,
        description=config.project.description,
        service=service,
        src=config.agent.src,
        python_image=PYTHON_IMAGES[minor],
        python_version=minor,
        copy_paths=_copy_paths(root, config.agent.src),
        env_key=env_key,
        config_env=dict(sorted(config_env.items())),
        secret_keys=sorted(secret_keys),
        optional_secret_keys=sorted(optional_secrets),
        redis=redis,
        redis_url_key=redis_url_key,
        state=state,
        queue=queue,
        evals=evals,
        dev_extra="dev" in extras,
        install_extras=install_extras,
        project_spec=f".[{','.join(ci_extras)}]" if ci_extras else ".",
        lock=_existing(root, "requirements.lock", notes),
        dev_lock=_existing(root, "requirements-dev.lock", notes),
        has_tests=(root / "tests").is_dir(),
        image=f"ghcr.io/OWNER/{project.name}",
        image_tag=str(pyproject.get("project", {}).get("version") or "latest"),
        notes=notes,
    )


def _existing(root: Path, name: str, notes: list[str]) -> str | None:
    """``name`` when the project has that lock file; otherwise a note that installs float."""
    if (root / name).is_file():
        return name
    notes.append(f"no {name}: installs resolve the newest versions at build time")
    return None


def read_env_template(path: Path) -> dict[str, str | None]:
    """Keys of a ``.env.template``: set ones with their value, commented-out ones as ``None``."""
    keys: dict[str, str | None] = {}
    if not path.is_file():
        return keys
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(#\s*)?([A-Z][A-Z0-9_]*)\s*=\s*(.*)$", line)
        if not match:
            continue
        commented, key, value = match.groups()
        if commented:
            keys.setdefault(key, None)
        else:
            keys[key] = value.strip().strip("'\"")
    return keys


def _split_env(
    env: dict[str, str | None], env_key: str
) -> tuple[dict[str, str], list[str], list[str]]:
    """Non-secret settings that make sense in a cluster; secret names, required and optional."""
    config: dict[str, str] = {}
    secrets: list[str] = []
    optional: list[str] = []
    for key, value in env.items():
        if SECRET_KEY.search(key):
            (optional if value is None else secrets).append(key)
        elif value is not None and key != env_key and not LOCAL_VALUE.search(value):
            config[key] = value
    return config, secrets, optional


def state_backend(project: Project) -> Literal["sqlite", "redis"]:
    """Where the shipped service keeps shared state: ``[deploy] state``, else its memory."""
    if project.config.deploy.state:
        return project.config.deploy.state
    root = project.path
    env = read_env_template(root / ".env.template")
    uses_redis = _uses_redis(_read_answers(root), _read_toml(root / "workbench.toml"), env)
    return "redis" if uses_redis else "sqlite"


def _uses_redis(answers: dict, raw_config: dict, env: dict[str, str | None]) -> bool:
    """Redis when the answers, ``workbench.toml`` or ``.env.template`` choose it for memory."""
    memory = raw_config.get("memory", {})
    for value in (answers.get("memory_backend"), memory.get("backend")):
        if value is not None:
            return str(value).lower() == "redis"
    backend = next((v for k, v in env.items() if k.endswith("MEMORY_BACKEND") and v), None)
    return str(backend).lower() == "redis"


def _queue(
    project: Project, answers: dict, raw_config: dict, env: dict[str, str | None]
) -> QueueInfo | None:
    """A worker queue when the answers, a ``[queue]`` table or a set queue variable declare one."""
    table = raw_config.get("queue") or raw_config.get("worker") or {}
    keys = ("worker_queue", "queue_backend", "queue", "task_queue")
    chosen: Any = table or next((answers[k] for k in keys if k in answers), None)
    if chosen is None:
        chosen = next((v for k, v in env.items() if re.search(r"QUEUE_(URL|NAME)$", k) and v), None)
    if chosen is None or (not isinstance(chosen, dict) and str(chosen).lower() in FALSY):
        return None
    name = (
        (table.get("name") if isinstance(table, dict) else None)
        or answers.get("queue_name")
        or next((v for k, v in env.items() if k.endswith("QUEUE_NAME") and v), None)
        or f"{project.package}:jobs"
    )
    return QueueInfo(list_name=str(name))


def _copy_paths(root: Path, src: str) -> list[str]:
    """What the image needs at run time: the package, its prompts and ``workbench.toml``."""
    paths = [src]
    paths += [name for name in ("prompts",) if (root / name).is_dir()]
    return [*paths, "workbench.toml"]


def _python_minor(pyproject: dict) -> str:
    spec = str(pyproject.get("project", {}).get("requires-python", ""))
    match = re.search(r">=?\s*3\.(\d+)", spec)
    minor = f"3.{match.group(1)}" if match else DEFAULT_PYTHON
    return minor if minor in PYTHON_IMAGES else DEFAULT_PYTHON


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _read_answers(root: Path) -> dict:
    for name in ANSWERS_FILES:
        try:
            data = yaml.safe_load((root / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict):
            return data
    return {}

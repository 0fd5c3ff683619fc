"""The environment and command line of a runner child: the project's ``.env``, OTLP, paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workbench.core.projects import Project
from workbench.settings import get_settings

_WORKBENCH_ROOT = Path(__file__).resolve().parents[3]


def default_otlp_endpoint() -> str:
    """The collector address from the settings, as an OTLP/HTTP base URL."""
    settings = get_settings()
    return f"http://{settings.collector_host}:{settings.collector_port}"


def read_dotenv(project: Project) -> dict[str, str]:
    """The project's ``.env`` values (python-dotenv parsing); empty when there is none."""
    path = project.path / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def child_env(
    project: Project,
    *,
    otlp_endpoint: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The child's environment: ours, then the project's ``.env`` (without overriding ours),
    then the workbench's own variables and ``extra``.

    The ``.env`` values live only in the child; the workbench's process never sees them.
    """
    env = dict(os.environ)
    for key, value in read_dotenv(project).items():
        env.setdefault(key, value)
    python_path = [str(project.src_dir), str(_WORKBENCH_ROOT)]
    if env.get("PYTHONPATH"):
        python_path.append(env["PYTHONPATH"])
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint or default_otlp_endpoint(),
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "WORKBENCH_RUNNER": "1",
        }
    )
    env.setdefault("OTEL_SERVICE_NAME", project.name)
    env.update(extra or {})
    return env


def child_argv(project: Project) -> list[str]:
    """The command that starts a child serving the project's ``[agent] entry``."""
    agent = project.config.agent
    argv = [sys.executable, "-m", "workbench.core.runner.child", "--src", str(project.src_dir)]
    if agent.entry:
        argv += ["--entry", agent.entry]
    if agent.adapter != "native":
        argv += ["--adapter", agent.adapter, "--name", project.name]
    if agent.adapter == "http" and agent.http is not None:
        argv += ["--http", agent.http.model_dump_json()]
    return argv

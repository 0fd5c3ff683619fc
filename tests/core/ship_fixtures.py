"""A small agent project on disk, shaped like the agent-service template, for ship tests."""

from __future__ import annotations

from pathlib import Path

from workbench.core.ship import ChecklistStatus

PASSED = ChecklistStatus(evaluated=True, passed=True)

WORKBENCH_TOML = """\
[project]
name = "{name}"
package = "{package}"
description = "A test agent"

[agent]
entry = "{package}.agents.entry:run_turn"
service = "{package}.api.app:app"

[variants.baseline]
prompt = "v1"
model = "mock"

[variants.candidate]
prompt = "v2"
model = "mock"

[evals]
default_set = "support"

[evals.gate]
safety = 1.0
"""

PYPROJECT = """\
[project]
name = "{name}"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.115", "uvicorn>=0.30"]

[project.optional-dependencies]
redis = ["redis>=5"]
dev = ["pytest>=8", "ruff>=0.6"]
"""

ENV_TEMPLATE = """\
OPENAI_API_KEY=
# ANTHROPIC_API_KEY=
AGENT_API_KEYS=dev-key
AGENT_ENVIRONMENT=development
AGENT_LOG_LEVEL=INFO
AGENT_MEMORY_BACKEND={memory}
# AGENT_REDIS_URL=redis://localhost:6379/0
# OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
"""


def make_project(
    root: Path,
    name: str = "sample-agent",
    *,
    memory: str = "sqlite",
    queue: bool = False,
    state: str | None = None,
) -> Path:
    """Write a minimal project folder and return it (``state``: its ``[deploy] state``)."""
    package = name.replace("-", "_")
    project = root / name
    deploy = f'\n[deploy]\nstate = "{state}"\n' if state else ""
    files = {
        "workbench.toml": WORKBENCH_TOML.format(name=name, package=package) + deploy,
        "pyproject.toml": PYPROJECT.format(name=name),
        ".env.template": ENV_TEMPLATE.format(memory=memory),
        ".copier-answers.yml": f"memory_backend: {memory}\n"
        + ("worker_queue: redis\n" if queue else ""),
        f"src/{package}/__init__.py": "",
        f"src/{package}/api/app.py": "app = None\n",
        "prompts/system.yaml": "v1: hello\n",
        "evals/support.yaml": "cases: []\n",
        "evals/smoke.yaml": "cases: []\n",
        "evals/safety.yaml": "cases: []\n",
        "tests/test_nothing.py": "",
    }
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return project

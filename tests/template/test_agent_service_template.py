"""The agent-service template renders a valid, self-consistent, machine-independent project."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workbench.core.config import parse_config

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "agent-service"

EXPECTED = [
    ".copier-answers.yml",
    ".env.template",
    ".gitignore",
    "README.md",
    "RUNBOOK.md",
    "pyproject.toml",
    "workbench.toml",
    "prompts/system.yaml",
    "src/{pkg}/__init__.py",
    "src/{pkg}/agents/entry.py",
    "src/{pkg}/agents/loop.py",
    "src/{pkg}/agents/llm.py",
    "src/{pkg}/agents/routing.py",
    "src/{pkg}/tools/registry.py",
    "src/{pkg}/tools/shop.py",
    "src/{pkg}/data/shop.json",
    "src/{pkg}/infra/settings.py",
    "src/{pkg}/infra/tracing.py",
    "src/{pkg}/infra/budget.py",
    "src/{pkg}/infra/guardrails.py",
    "src/{pkg}/infra/cache.py",
    "src/{pkg}/infra/logs.py",
    "src/{pkg}/infra/state/base.py",
    "src/{pkg}/infra/state/sqlite.py",
    "src/{pkg}/infra/state/redis.py",
    "src/{pkg}/api/app.py",
    "tests/conftest.py",
]


def render(destination: Path, **data: object) -> Path:
    """Render the template with copier's API, non-interactively."""
    import copier

    copier.run_copy(
        str(TEMPLATE), str(destination), data=data, defaults=True, unsafe=False, quiet=True
    )
    return destination


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("render") / "acme-support", project_name="acme-support")


def test_workbench_toml_is_valid(project):
    config = parse_config((project / "workbench.toml").read_text(), project / "workbench.toml")
    assert config.project.name == "acme-support"
    assert config.project.package == "acme_support"
    assert config.project.template_version == "0.1.0"
    assert config.agent.entry == "acme_support.agents.entry:run_turn"
    assert config.agent.service == "acme_support.api.app:app"
    assert config.variants["baseline"].prompt == "v1"
    assert config.variants["candidate"].prompt == "v2"
    assert config.mock.priced_as == config.models.default == "gpt-4o-mini"
    assert config.budgets.tokens_per_session and config.budgets.usd_per_day
    assert config.evals.gate == {
        "functional": 0.9,
        "tool_usage": 0.9,
        "safety": 1.0,
        "regression": 1.0,
    }


def test_expected_files_exist(project):
    missing = [p for p in EXPECTED if not (project / p.format(pkg="acme_support")).is_file()]
    assert missing == []
    assert not list(project.rglob("*.jinja"))


def test_answers_file_is_machine_independent(project):
    text = (project / ".copier-answers.yml").read_text()
    answers = yaml.safe_load(text)
    assert answers["_template"] == "agent-service"
    assert answers["_template_version"] == "0.1.0"
    assert answers["project_name"] == "acme-support"
    assert "_src_path" not in answers and "_commit" not in answers
    assert str(TEMPLATE) not in text and not re.search(r"(^|\s)/(tmp|home|root|Users)/", text)


def test_prompt_versions_differ_on_the_eligibility_rule(project):
    prompts = yaml.safe_load((project / "prompts" / "system.yaml").read_text())
    sentence = "Always call check_return_eligibility before promising a return or refund."
    assert sentence in prompts["versions"]["v2"] and sentence not in prompts["versions"]["v1"]


def test_defaults_and_choices(tmp_path):
    default = render(tmp_path / "support-agent")
    config = parse_config((default / "workbench.toml").read_text(), default / "workbench.toml")
    assert config.project.package == "support_agent"
    redis = render(
        tmp_path / "other", project_name="other", memory_backend="redis", refunds_enabled=False
    )
    settings = (redis / "src" / "other" / "infra" / "settings.py").read_text()
    assert 'memory_backend: Literal["sqlite", "redis"] = "redis"' in settings
    assert "refunds: bool = False" in settings


def test_invalid_project_name_is_refused(tmp_path):
    with pytest.raises(Exception, match="lowercase"):
        render(tmp_path / "Bad", project_name="Bad_Name")


def test_rendered_project_is_lint_clean(project):
    """ruff passes on the render. Its own tests (~40 s of CPU) are not run again here: the
    README tour runs them right after ``workbench new acme-support``, and its ``ship`` runs
    them as a readiness item on the example (both in tests/test_readme_tour.py)."""
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        lint = subprocess.run(
            [sys.executable, "-m", *command, "--no-cache"],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout[-3000:]

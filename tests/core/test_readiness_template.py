"""The checklist on a freshly rendered agent-service project, and on copies missing one thing.

The whole checklist, static and dynamic, on the template's default render is judged once
in the suite: the README tour's ``workbench ship support-agent --pretend`` evaluates it on
the example (tests/test_readme_tour.py checks every verdict it stored), so this module
keeps to static checks.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import copier
import pytest

from workbench import locations
from workbench.core.projects import open_project
from workbench.core.readiness import evaluate

pytestmark = pytest.mark.slow

# What the template does not provide yet (see docs/readiness.md, "What the template needs").
# Each must fail with a hint; once the template provides it, it simply passes.
TEMPLATE_GAPS = {
    # No .github/workflows running `workbench eval . --gate` at each stage yet.
    "deployment.eval-gate-ci",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The agent-service template rendered once for this module."""
    dst = tmp_path_factory.mktemp("tpl") / "support-agent"
    copier.run_copy(
        str(locations.templates_dir() / "agent-service"),
        dst,
        data={"project_name": "support-agent"},
        defaults=True,
        quiet=True,
    )
    return dst


@pytest.fixture(scope="module")
def baseline(rendered) -> dict[str, str]:
    """The static statuses of the unbroken render, judged once for the module."""
    return _statuses(rendered)


def _copy(rendered: Path, tmp_path: Path) -> Path:
    target = tmp_path / "support-agent"
    shutil.copytree(rendered, target)
    return target


def _statuses(path: Path) -> dict[str, str]:
    result = evaluate(open_project(path), run_dynamic=False)
    return {item.id: item.status for item in result.items}


def _without_retries(source: str) -> str:
    source = re.sub(r"\n\s*num_retries=[^\n]*,", "", source)
    source = re.sub(r"\n\s*# Retry 429[^\n]*\n\s*#[^\n]*", "", source)
    return re.sub(r"\n\s*retry_policy=RetryPolicy\(.*?\n\s*\),", "", source, flags=re.DOTALL)


def test_removing_the_retry_configuration_fails_exactly_the_retry_item(
    rendered, baseline, tmp_path
):
    project = _copy(rendered, tmp_path)
    llm = project / "src" / "support_agent" / "agents" / "llm.py"
    changed = _without_retries(llm.read_text())
    assert "retry_policy=" not in changed and "num_retries=" not in changed
    ast.parse(changed)
    llm.write_text(changed)
    result = evaluate(open_project(project), run_dynamic=False)
    after = {item.id: item.status for item in result.items}
    assert {k for k in after if after[k] != baseline[k]} == {"reliability.retries"}
    item = next(i for i in result.items if i.id == "reliability.retries")
    assert item.status == "fail"
    assert "src/support_agent/agents/llm.py" in item.hint and "num_retries=" in item.hint
    assert item.evidence


def test_removing_the_readiness_route_fails_exactly_the_health_item(rendered, baseline, tmp_path):
    project = _copy(rendered, tmp_path)
    app = project / "src" / "support_agent" / "api" / "app.py"
    text = app.read_text()
    assert '    @app.get("/readiness")\n' in text
    app.write_text(text.replace('    @app.get("/readiness")\n', ""))
    result = evaluate(open_project(project), run_dynamic=False)
    after = {item.id: item.status for item in result.items}
    assert {k for k in after if after[k] != baseline[k]} == {"reliability.health-probes"}
    item = next(i for i in result.items if i.id == "reliability.health-probes")
    assert item.status == "fail" and "GET /readiness" in item.hint
    assert "src/support_agent/api/app.py" in item.hint
    assert any(e.endswith("GET /healthz") for e in item.evidence)
    assert "no route GET /readiness" in item.evidence

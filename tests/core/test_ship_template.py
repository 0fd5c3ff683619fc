"""Ship on a project rendered from the real agent-service template: every validator passes."""

from __future__ import annotations

import pytest

from tests.core.ship_fixtures import PASSED
from workbench.core.projects import open_project
from workbench.core.scaffold import scaffold_project
from workbench.core.ship import plan_ship, validate_files, write_ship


@pytest.mark.slow
def test_ship_on_a_scaffolded_project(tmp_path):
    scaffold_project("shop-agent", directory=tmp_path)
    project = open_project(tmp_path / "shop-agent")
    plan = plan_ship(project, checklist=PASSED)
    assert {file.status for file in plan.files} == {"new"}
    dockerfile = next(file.content for file in plan.files if file.path == "Dockerfile")
    assert '"uvicorn", "shop_agent.api.app:app"' in dockerfile
    write_ship(plan)
    problems = [r for r in validate_files(project.path) if not r.ok or r.findings or r.skipped]
    assert problems == []
    assert {file.status for file in plan_ship(project, checklist=PASSED).files} == {"unchanged"}

"""The readiness checklist evaluated in a child process: the same verdicts, as they come."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.projects import Project
from workbench.core.readiness import evaluate
from workbench.core.readiness.isolated import evaluate_isolated
from workbench.errors import WorkbenchError


@pytest.mark.slow
def test_static_verdicts_equal_the_in_process_ones(tmp_path: Path, workbench_home: Path) -> None:
    project = make_fake_project(tmp_path / "fake")
    seen = []
    isolated = evaluate_isolated(project, run_dynamic=False, progress=seen.append, use_cache=False)
    here = evaluate(project, run_dynamic=False, use_cache=False)
    assert [(i.id, i.status, i.evidence) for i in isolated.items] == [
        (i.id, i.status, i.evidence) for i in here.items
    ]
    assert isolated.score == here.score and isolated.passed == here.passed
    assert sorted(item.id for item in seen) == sorted(item.id for item in here.items)


def test_a_failing_child_is_one_clear_error(tmp_path: Path, workbench_home: Path) -> None:
    project = make_fake_project(tmp_path / "fake")
    gone = Project(path=tmp_path / "gone", config=project.config)
    with pytest.raises(WorkbenchError) as caught:
        evaluate_isolated(gone, run_dynamic=False)
    message = str(caught.value)
    assert message.startswith("the readiness check of ")
    assert "\n" not in message and "Traceback" not in message

"""A python assertion naming a missing file or function stops the run before it starts,
with the set's file:line, instead of an error on every case."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_runner_fakeproject import make_fake_project
from workbench.core.evals.session import prepare_run
from workbench.errors import WorkbenchError

SET = """\
cases:
  - id: first
    input: hi
    assert:
      - type: contains
        value: hi
  - id: second
    input: hi
    assert:
      - type: assert-set
        assert:
          - type: python
            value: {reference}
"""


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        (
            "file://checks/missing.py",
            "no file checks/missing.py (a python assertion's path is relative to the project)",
        ),
        ("checks/grade.py:nope", "checks/grade.py defines no function 'nope'"),
        ("checks/grade.py", "checks/grade.py defines no function 'get_assert'"),
    ],
)
def test_a_missing_file_or_function_is_refused_with_its_line(
    tmp_path: Path, reference: str, problem: str
) -> None:
    project = make_fake_project(tmp_path)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "grade.py").write_text("def check_tone(output, context):\n    ...\n")
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "one.yaml").write_text(SET.format(reference=reference))
    with pytest.raises(WorkbenchError) as raised:
        prepare_run(project, set_name="one", ad_hoc=["m=model=mock"])
    assert str(raised.value) == f"{tmp_path / 'evals' / 'one.yaml'}:12: case 'second': {problem}"


@pytest.mark.parametrize(
    ("reference", "source"),
    [
        ("checks/grade.py:check_tone", "def check_tone(output, context):\n    ...\n"),
        ("file://checks/grade.py", "from helpers import *\n"),
        ("checks/grade.py:graded", "graded = lambda output, context: True\n"),
        ("fake_agent.checks:anything", ""),  # a module: found when the run imports it
    ],
)
def test_references_that_may_run_are_left_to_the_run(
    tmp_path: Path, reference: str, source: str
) -> None:
    project = make_fake_project(tmp_path)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "grade.py").write_text(source)
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "one.yaml").write_text(SET.format(reference=reference))
    plan = prepare_run(project, set_name="one", ad_hoc=["m=model=mock"])
    assert plan.evalset.name == "one"

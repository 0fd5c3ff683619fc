"""``workbench run``'s phase lines: one per finished step on stderr, nothing when disabled."""

from __future__ import annotations

from workbench.cli.run_progress import phase_lines
from workbench.core.runner.phases import IMPORT, MOCK, Phases


def test_each_finished_phase_is_a_line_on_stderr(capsys) -> None:
    phases = Phases()
    with phase_lines(phases, enabled=True), phases.during(IMPORT), phases.during(MOCK):
        pass
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [line for line in captured.err.splitlines() if line.startswith("✓")]
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "✓ starting the mock model",
        "✓ importing the project",
    ]
    assert all(line.endswith(" s") for line in lines)


def test_nothing_is_printed_when_disabled(capsys) -> None:
    phases = Phases()
    with phase_lines(phases, enabled=False), phases.during(IMPORT):
        pass
    assert capsys.readouterr() == ("", "")

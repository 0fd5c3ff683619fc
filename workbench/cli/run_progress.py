"""What ``workbench run`` is waiting for, on a terminal: a ticking line and one line per step."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from workbench.core.runner.phases import PhaseEvent, Phases


class _Ticking:
    """The phases going on, with the elapsed time, redrawn by ``Live`` a few times a second."""

    def __init__(self, phases: Phases) -> None:
        self.phases = phases
        self.spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> RenderableType:
        self.spinner.update(text=Text(self.phases.describe() or "Starting", style="dim"))
        return self.spinner


@contextlib.contextmanager
def phase_lines(phases: Phases, *, enabled: bool) -> Iterator[None]:
    """While inside, show ``phases`` on stderr: each step as it ends (``✓ importing the
    project 4.2 s``) under a spinner that ticks with the steps still going on. Nothing at
    all unless ``enabled`` (stderr is a terminal and the output is not JSON)."""
    if not enabled:
        yield
        return
    console = Console(stderr=True)

    def ended(event: PhaseEvent) -> None:
        if event.done:
            line = f"{event.name} {event.seconds:.1f} s"
            console.print(Text.assemble(("✓ ", "green"), (line, "dim")))

    phases.listen(ended)
    with Live(_Ticking(phases), console=console, refresh_per_second=8, transient=True):
        yield

"""The app's top-level sections: each is an app mode with a key, a title and a screen."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding
from textual.screen import Screen


@dataclass(frozen=True)
class Section:
    """One top-level section: the app mode ``mode``, switched to by ``key``."""

    mode: str
    key: str
    title: str
    # "module:Class" of the section's screen, imported on first visit so that
    # startup only pays for the screen it shows.
    screen: str
    description: str = ""

    def factory(self) -> Callable[[], Screen]:
        """A callable that imports and builds the section's screen (for ``App.MODES``)."""

        def build() -> Screen:
            module_name, attribute = self.screen.split(":")
            return getattr(importlib.import_module(module_name), attribute)()

        return build


# Add a section here (and its screen under tui/screens/): the app derives its
# modes, key bindings, footer entries and command palette entries from this list.
SECTIONS: tuple[Section, ...] = (
    Section(
        "projects",
        "1",
        "Projects",
        "workbench.tui.screens.projects:ProjectsScreen",
        "Projects under projects/ and those opened by path",
    ),
    Section("run", "2", "Run", "workbench.tui.screens.run:RunScreen", "Chat with an agent, live"),
    Section(
        "traces", "3", "Traces", "workbench.tui.screens.traces:TracesScreen", "Every trace, live"
    ),
    Section(
        "evals",
        "4",
        "Evals",
        "workbench.tui.screens.evals:EvalsScreen",
        "Eval runs: results matrix, A/B comparison, verdict and gate",
    ),
    Section(
        "readiness",
        "5",
        "Readiness",
        "workbench.tui.screens.readiness:ReadinessScreen",
        "The production-readiness checklist, with sign-offs",
    ),
    Section(
        "ship",
        "6",
        "Ship",
        "workbench.tui.screens.ship:ShipScreen",
        "Dockerfile, CI and Kubernetes files: preview, validate, write",
    ),
)

# Where the footer has no room for "1 Projects  2 Run  …", the keys show as one group.
SECTIONS_GROUP = Binding.Group("Sections", compact=True)


def section_bindings(namespace: str = "") -> list[Binding]:
    """Two bindings per section key: named (``2 Run``) and grouped (``123456 Sections``).

    Both switch to the section; ``WorkbenchApp.check_action`` turns on the named ones when
    the footer has room for them and the grouped ones otherwise. Section screens bind them
    too (``namespace="app."``), so the footer shows them first, before the screen's keys.
    """
    named = [
        Binding(section.key, f"{namespace}switch_mode({section.mode!r})", section.title)
        for section in SECTIONS
    ]
    grouped = [
        Binding(
            section.key,
            f"{namespace}switch_section({section.mode!r})",
            section.title,
            group=SECTIONS_GROUP,
        )
        for section in SECTIONS
    ]
    return named + grouped

"""Command palette entries: go to each section, and create a new project."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.tui.sections import SECTIONS


class WorkbenchCommands(Provider):
    """The sections (``Go to …``) and ``New project``, for the built-in command palette."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.app
        commands: list[tuple[str, Callable[[], object], str]] = [
            (
                f"Go to {section.title}",
                partial(app.switch_mode, section.mode),
                section.description,
            )
            for section in SECTIONS
        ]
        commands.append(
            (
                "New project",
                partial(app.run_action, "new_project"),
                "Scaffold a project from the agent-service template",
            )
        )
        return commands

    async def discover(self) -> Hits:
        for name, command, help_text in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)

"""A footer that rebuilds its keys only when the keys it shows change.

Textual's ``Footer`` removes and mounts every key (and styles each one again) on every
``refresh_bindings``: a focus change, a screen resume, a run starting. A section does
several in a row, most of them changing nothing shown; on a loaded machine each rebuild
costs tens of milliseconds (the first eval start spent ~0.4 s in them).
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.widgets import Footer


class SteadyFooter(Footer):
    """``Footer`` whose rebuild is skipped when the keys it would show are the ones shown."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: Hashable | None = None

    def shown_keys(self) -> Hashable:
        """Everything the footer's compose reads: each shown binding, as it would draw it."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                binding.action,
                binding.description,
                binding.group,
                enabled,
                tooltip,
                app.get_key_display(binding),
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return keys, self.show_command_palette, self.combine_groups, self._bindings_ready

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would come out as they are."""
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

"""A footer that rebuilds its keys only when the keys it shows change.

Textual's ``Footer`` removes and mounts every key (and styles each one again) on every
``refresh_bindings``: a focus change, a screen resume, a run starting. A section does
several in a row, most of them changing nothing shown; on a loaded machine each rebuild
costs tens of milliseconds (the first eval start spent ~0.4 s in them).

It also fits its row to the terminal (``footer_fit.fit_entries``): the section keys come
first, and Esc, help and quit always show; a screen's less important keys give way.
"""

from __future__ import annotations

from collections.abc import Hashable
from itertools import groupby

from textual.app import ComposeResult
from textual.widgets import Footer

# Textual's own footer parts: the row is built of them as Footer.compose builds it.
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

from workbench.tui.footer_fit import PALETTE_WIDTH, FooterEntry, fit_entries


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
        width = self.app.size.width
        return keys, self.show_command_palette, self.combine_groups, self._bindings_ready, width

    def entries(self) -> list[FooterEntry]:
        """The footer's entries that fit the terminal's width, in the order shown."""
        app = self.app
        entries: dict[str, FooterEntry] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            # A binding on several keys ("escape,backspace") shows once, as its first key.
            if binding.show and binding.action not in entries:
                display = app.get_key_display(binding)
                entries[binding.action] = FooterEntry(binding, display, enabled, tooltip)
        width = app.size.width - (PALETTE_WIDTH if self._palette_shown() else 0)
        return fit_entries(list(entries.values()), width)

    def _palette_shown(self) -> bool:
        return bool(self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        """Textual's footer row, of the entries that fit (see ``entries``)."""
        if not self._bindings_ready:
            return
        entries = self.entries()
        self.styles.grid_size_columns = len(entries)
        for group, members in groupby(entries, lambda entry: entry.binding.group):
            grouped = list(members)
            if group is not None and len(grouped) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for entry in grouped:
                        yield self._key(entry, "", classes="-grouped")
                yield FooterLabel(group.description)
            else:
                for entry in grouped:
                    yield self._key(entry, entry.binding.description)
        if self._palette_shown():
            active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if active is not None:
                binding = active.binding
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not active.enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    def _key(self, entry: FooterEntry, description: str, classes: str = "") -> FooterKey:
        binding = entry.binding
        return FooterKey(
            binding.key,
            entry.key_display,
            description,
            binding.action,
            disabled=not entry.enabled,
            tooltip=entry.tooltip or (binding.description if classes else ""),
            classes=classes,
        ).data_bind(compact=Footer.compact)

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would come out as they are."""
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

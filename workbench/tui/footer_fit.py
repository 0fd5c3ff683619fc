"""What the footer has room for, so that it never cuts the way to another section or out.

A section's footer lists Esc's entry and the section keys first, then the focused
widget's and the screen's keys, then help and quit. When the screen's own keys leave too
little room for ``1 Projects  2 Run  …``, the section keys show as one group
(``123456 Sections``); when even then the row is too long, the screen's less important
keys (those listed last) stay out of the footer (they still work, and the help screen
lists them), while the section keys, Esc, help and quit always show.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual.actions import parse
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from workbench.tui.sections import SECTIONS

# "key description" plus the padding the footer puts around each entry.
_GAP = 3
# Help, quit and the command palette entry at the right.
_APP_KEYS = len("? Help") + len("q Quit") + 2 * _GAP + len("^p palette") + 2


def named_sections_width() -> int:
    """Columns the named section keys take in the footer."""
    return sum(len(section.key) + len(section.title) + _GAP for section in SECTIONS)


def own_keys_width(screen: Screen) -> int:
    """Columns the footer entries of ``screen`` and its focused widget take."""
    seen: set[str] = set()
    width = 0
    nodes = [screen] if screen.focused is None else list(screen.focused.ancestors_with_self)
    for node in nodes:
        if node is screen.app:
            continue
        for key, binding in node._bindings:
            if not binding.show or not binding.description or binding.action in seen:
                continue
            if "switch_mode(" in binding.action or "switch_section(" in binding.action:
                continue
            if not _offered(node, binding.action):
                continue
            seen.add(binding.action)
            shown = binding.key_display or screen.app.get_key_display(binding) or key
            width += len(shown) + len(binding.description) + _GAP
    return width


def _offered(node: DOMNode, action: str) -> bool:
    """Whether the footer shows ``action`` of ``node`` (its ``check_action`` is not False)."""
    namespace, name, parameters = parse(action)
    target = node.app if namespace == "app" else node.screen if namespace == "screen" else node
    return target.check_action(name, parameters) is not False


def sections_fit(screen: Screen) -> bool:
    """Whether the footer of ``screen`` has room to name every section."""
    needed = own_keys_width(screen) + named_sections_width() + _APP_KEYS
    return needed <= screen.app.size.width


# Actions the footer always shows: the way to another section, out of a field, help, quit.
_KEPT_ACTIONS = frozenset({"help", "quit", "leave_field", "app.help", "app.quit"})
# Actions shown last, in this order (wherever the key chain lists them).
_LAST = ("help", "app.help", "quit", "app.quit")
# Columns of the command palette entry docked at the right ("▏^p palette").
PALETTE_WIDTH = 12


@dataclass(frozen=True)
class FooterEntry:
    """One entry of the footer: a key and what it does, shown as ``key description``."""

    binding: Binding
    key_display: str
    enabled: bool
    tooltip: str

    @property
    def is_section(self) -> bool:
        """Whether this entry switches section (named or grouped)."""
        return "switch_mode(" in self.binding.action or "switch_section(" in self.binding.action

    @property
    def kept(self) -> bool:
        """Whether the footer shows this entry however narrow it is."""
        binding = self.binding
        return self.is_section or binding.action in _KEPT_ACTIONS or binding.key == "escape"


def entries_width(entries: list[FooterEntry]) -> int:
    """Columns ``entries`` take in the footer: named ones as ``key description`` with
    padding, each binding group as its keys run together and the group's description."""
    width = 0
    groups: set[str] = set()
    for entry in entries:
        group = entry.binding.group
        if group is None:
            width += cell_len(entry.key_display) + cell_len(entry.binding.description) + _GAP
            continue
        if group.description not in groups:
            groups.add(group.description)
            width += cell_len(group.description) + _GAP
        width += cell_len(entry.key_display)
    return width


def fit_entries(entries: list[FooterEntry], width: int) -> list[FooterEntry]:
    """The entries to show in ``width`` columns, in footer order: Esc's entry (leave the
    field, back, close) first, the section keys, the rest as listed, help and quit last.
    Every kept entry shows; each other one shows if it still fits, in order, so the first
    listed (the most important) win the room."""
    last = [e for e in entries if e.binding.action in _LAST]
    last.sort(key=lambda entry: _LAST.index(entry.binding.action))
    rest = [e for e in entries if e.binding.action not in _LAST]
    escape = [e for e in rest if e.binding.key == "escape"]
    sections = [e for e in rest if e.is_section]
    others = [e for e in rest if e not in escape and e not in sections]
    ordered = escape + sections + others + last
    room = width - entries_width([e for e in ordered if e.kept])
    shown: set[int] = set()
    for index, entry in enumerate(ordered):
        if entry.kept:
            continue
        needed = entries_width([entry])
        if needed <= room:
            room -= needed
            shown.add(index)
    return [e for index, e in enumerate(ordered) if e.kept or index in shown]

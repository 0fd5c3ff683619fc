"""Whether the footer has room to name every section, so that it is never cut.

A section's footer lists the section keys first, then the focused widget's and the
screen's keys, then help and quit. When the screen's own keys leave too little room for
``1 Projects  2 Run  …``, the section keys show as one group (``123456 Sections``), and
a narrow terminal cuts the end of the footer, never the way to another section.
"""

from __future__ import annotations

from textual.actions import parse
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

"""The app's focus rules: keys typed into a text field stay in it, and Esc always leaves it.

While a text field (an ``Input``, an editable ``TextArea``) has focus, Textual drops
from the binding chain every key the field consumes (``Widget.check_consume_key``): the
section keys and each screen's single-letter actions neither fire nor show in the
footer, and the key goes into the field. A new kind of editable widget must implement
``check_consume_key`` the same way. What Textual does not do is let the user out: here
``escape`` (a priority binding of the app) moves focus from the field to the screen's
main widget, and the footer says so. Dialogs keep Esc for closing.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

LEAVE_FIELD = Binding("escape", "leave_field", "Leave field", priority=True)
# A dialog's footer, after its own Esc: help and quit, on keys no field types (Textual
# leaves the app's bindings out of a dialog's key chain).
DIALOG_KEYS = [Binding("f1", "app.help", "Help"), Binding("ctrl+q", "app.quit", "Quit")]


def is_text_field(widget: Widget | None) -> bool:
    """Whether ``widget`` takes typed text (an Input, or a TextArea that is not read-only)."""
    if isinstance(widget, TextArea):
        return not widget.read_only
    return isinstance(widget, Input)


def is_typing_key(key: str) -> bool:
    """Whether ``key`` types a character (``r``, ``5``, ``question_mark``), not ``ctrl+n``."""
    character = key_to_character(key)
    return character is not None and len(character) == 1 and character.isprintable()


def reroute_stray_key(screen: Screen, event: events.Key) -> bool:
    """Hand ``event`` to the focused text field of ``screen`` if the field would take it.

    A key that reaches the app from a widget was not taken by a text field. If the top
    screen's focused widget is a field that takes it, the key was typed for that field
    but queued on the screen below before a dialog opened (a fast typist after ``s``);
    it must land in the field rather than fire a binding. Returns whether it was handed on.
    """
    field = screen.focused
    if not event.is_forwarded or not is_text_field(field) or field is None:
        return False
    if not field.check_consume_key(event.key, event.character):
        return False
    field.post_message(events.Key(event.key, event.character))
    return True


def can_leave_field(screen: Screen) -> bool:
    """Whether Esc leaves a field on ``screen``: dialogs keep Esc for closing, and a screen
    may take it for a moment (``escape_leaves_field()`` false: the Run screen mid-turn)."""
    if not is_text_field(screen.focused) or isinstance(screen, ModalScreen):
        return False
    leaves = getattr(screen, "escape_leaves_field", None)
    return leaves() if callable(leaves) else True


def leave_field(screen: Screen) -> None:
    """Move focus from the text field to the screen's main widget (or to nothing)."""
    main = None
    selector = getattr(screen, "MAIN_WIDGET", "")
    if selector:
        main = next(iter(screen.query(selector)), None)
    if main is None or not main.focusable:
        main = next((w for w in screen.focus_chain if not is_text_field(w)), None)
    screen.set_focus(main)


class KeysBehindTab:
    """Keys typed behind a Tab (or shift+Tab) in a text field wait until the Tab has moved focus.

    The app hands each key to the focused widget's queue as it arrives; a Tab is handled
    by the field later, in its turn. Typed fast ("name<Tab>note"), the keys behind the Tab
    were already in the first field's queue and landed there. So once a Tab has gone to a
    field, later keys are held, and handed on again (in order) when the field has handled
    the Tab: they then go to whatever has focus.
    """

    TIMEOUT = 0.5  # a Tab the field never handles (it closed) does not hold keys for long

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.held: list[events.Key] | None = None

    def take(self, event: events.Key) -> bool:
        """Hold ``event`` (a key straight from the terminal) if a Tab is still on its way."""
        if self.held is None or event.is_forwarded:
            return False
        self.held.append(event)
        return True

    def is_tab_into_field(self, event: events.Key) -> bool:
        """Whether ``event`` is a Tab or shift+Tab about to go to a focused text field."""
        return event.key in ("tab", "shift+tab") and is_text_field(self.app.focused)

    def hold_behind(self) -> None:
        """Hold the keys that follow, until the Tab just sent to a field has moved focus (the
        app's focus actions call ``release``), or for ``TIMEOUT`` at most."""
        self.held = []
        self.app.set_timer(self.TIMEOUT, self.release)

    def release(self) -> None:
        """Hand the held keys to the app again, in the order they were typed."""
        held, self.held = self.held, None
        for event in held or []:
            self.app.post_message(events.Key(event.key, event.character))

"""The chat transcript: user messages, agent replies and errors, newest at the bottom."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static


class ChatMessage(Static):
    """One message; its class (``-user``, ``-agent``, ``-error``, ``-note``) sets its look."""


class ChatLog(VerticalScroll):
    """Messages in order, scrolled to the newest (by itself, or with the mouse wheel)."""

    # Not in the focus chain: shift+tab from the message box lands in the session field,
    # not here, where typed letters and digits would fire section and screen keys.
    can_focus = False

    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
        padding: 0 1;
        background: $surface;
        & > ChatMessage { margin-top: 1; padding: 0 1; width: 1fr; }
        & > ChatMessage.-user { background: $primary-muted; margin-left: 8; }
        & > ChatMessage.-agent { background: $panel; margin-right: 8; }
        & > ChatMessage.-error { color: $text-error; background: $error-muted; }
        & > ChatMessage.-note { color: $text-muted; }
    }
    """

    def add(self, kind: str, text: str, *, title: str = "", meta: str = "") -> ChatMessage:
        """Append a message of ``kind`` (user, agent, error, note) and scroll to it."""
        body = escape(text)
        if title:
            body = f"[b]{escape(title)}[/]\n{body}"
        if meta:
            body += f"\n[$text-muted]{escape(meta)}[/]"
        message = ChatMessage(body, classes=f"-{kind}")
        self.mount(message)
        self.call_after_refresh(self.scroll_end, animate=False)
        return message

    @property
    def texts(self) -> list[str]:
        """The messages' plain text, in order (for tests)."""
        return [str(message.render()) for message in self.query(ChatMessage)]

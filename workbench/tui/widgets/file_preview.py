"""A generated file shown with syntax highlighting, and its diff against the disk."""

from __future__ import annotations

from pathlib import PurePosixPath

from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Static

from workbench.core.ship import GeneratedFile

# Names pygments does not guess from the file name alone.
_LANGUAGES = {".dockerignore": "text", "Dockerfile": "docker"}


def language_for(path: str) -> str | None:
    """The highlighting language for ``path`` (None: guess from its name)."""
    name = PurePosixPath(path).name
    return _LANGUAGES.get(name)


def numbered(content: Content) -> Content:
    """``content`` with a muted line number before each line."""
    lines = content.split("\n")
    width = len(str(len(lines)))
    return Content("\n").join(
        Content.assemble((f"{number:>{width}} ", "$text-muted"), line)
        for number, line in enumerate(lines, 1)
    )


def highlighted(file: GeneratedFile) -> Content:
    """The file's content, highlighted with theme colours, with line numbers."""
    code = file.content.rstrip("\n")
    return numbered(highlight(code, language=language_for(file.path), path=file.path))


def diff_content(diff: str) -> Content:
    """A unified diff: added lines green, removed lines red, hunk headers in the accent colour."""
    lines: list[Content] = []
    for line in diff.rstrip("\n").split("\n"):
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "$text-success"
        elif line.startswith("-"):
            style = "$text-error"
        elif line.startswith("@@"):
            style = "$text-accent"
        else:
            style = ""
        lines.append(Content.styled(line, style) if style else Content(line))
    return Content("\n").join(lines)


def diff_note(file: GeneratedFile) -> str:
    """What the diff pane says above the diff of ``file``, by its status."""
    if file.status == "unchanged":
        return f"{file.path} on disk is identical: nothing to write."
    if file.status == "new":
        return f"{file.path} is not on disk yet: the whole file is new."
    if file.status == "edited-conflict":
        return (
            f"{file.path} was edited since it was generated: w keeps your version, "
            "f overwrites it with this change (- yours, + generated)."
        )
    return f"{file.path} changes on disk when written (- now, + generated)."


class _Pane(ScrollableContainer):
    """A pane scrolling both ways: an optional wrapped note above one wide text."""

    DEFAULT_CSS = """
    _Pane {
        height: 1fr;
        padding: 0 1;
        & > .pane-note { width: 1fr; height: auto; margin-bottom: 1; color: $text-muted; }
        & > .pane-note.-warning { color: $text-warning; }
        & > .pane-text { width: auto; min-width: 1fr; }
    }
    """

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder
        self.path: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-note", markup=False)
        yield Static(self.placeholder, classes="pane-text", markup=False)

    def on_mount(self) -> None:
        self.query_one(".pane-note").display = False

    def _set(
        self, path: str | None, content: Content | str, note: str = "", *, warn: bool = False
    ) -> None:
        self.path = path
        note_widget = self.query_one(".pane-note", Static)
        note_widget.update(note)
        note_widget.set_class(warn, "-warning")
        note_widget.display = bool(note)
        self.query_one(".pane-text", Static).update(content)
        self.scroll_to(0, 0, animate=False)

    @property
    def note(self) -> str:
        """The note shown above the text (for tests)."""
        return str(self.query_one(".pane-note", Static).render())

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return str(self.query_one(".pane-text", Static).render())


class FilePreview(_Pane):
    """The selected file's future content, highlighted."""

    def show(self, file: GeneratedFile | None) -> None:
        """Show ``file`` (or the placeholder)."""
        if file is None:
            self._set(None, self.placeholder)
        else:
            self._set(file.path, highlighted(file))


class DiffView(_Pane):
    """The selected file against what is on disk."""

    def show(self, file: GeneratedFile | None) -> None:
        """Show the diff of ``file`` (or the placeholder)."""
        if file is None:
            self._set(None, self.placeholder)
        else:
            diff = diff_content(file.diff) if file.diff else ""
            warn = file.status == "edited-conflict"
            self._set(file.path, diff, diff_note(file), warn=warn)

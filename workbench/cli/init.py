"""``workbench init``: adopt an existing agent repository without touching its code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from workbench.errors import WorkbenchError


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _ask(question: str, default: str, *, interactive: bool) -> str:
    """The user's answer, or ``default`` without a terminal (or with --yes)."""
    if not interactive:
        return default
    return str(click.prompt(question, default=default or None, show_default=bool(default)))


def _package_of(entry: str, src: str, root: Path) -> str:
    top = entry.partition(":")[0].split(".")[0]
    return top or re.sub(r"\W", "_", root.name)


@click.command()
@click.argument(
    "directory",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--yes", "-y", is_flag=True, help="Accept every detected or default answer.")
@click.option("--force", is_flag=True, help="Overwrite the workbench's own files if present.")
@click.option("--name", help="Project name (default: pyproject's name, else the folder's).")
@click.option("--entry", help="module:function that answers a message (docs/adopt.md).")
@click.option("--src", help="Folder that must be on sys.path to import the entry.")
@click.option("--url", help="Reach the agent through its own HTTP endpoint instead.")
@click.option("--message-path", default="message", show_default=True, help="With --url.")
@click.option("--reply-path", default="reply", show_default=True, help="With --url.")
@click.option("--model", help="The model the agent uses (litellm name; default gpt-4o-mini).")
def init(
    directory: Path,
    yes: bool,
    force: bool,
    name: str | None,
    entry: str | None,
    src: str | None,
    url: str | None,
    message_path: str,
    reply_path: str,
    model: str | None,
) -> None:
    """Adopt the existing agent in DIRECTORY: write workbench.toml, evals/ and mocks/.

    The framework, entry function and tools are detected from the source (never run);
    what cannot be detected is asked, with defaults (--yes, or no terminal: the defaults).
    Nothing of your own code is changed.
    """
    from workbench.core.adopt.detect import detect
    from workbench.core.adopt.write import Answers, write_files

    root = directory.resolve()
    interactive = not yes and _stdin_is_terminal()
    found = detect(root)
    click.echo(
        f"{found.files} Python files; framework: {', '.join(found.frameworks) or 'not detected'}"
        + (f"; tools: {', '.join(found.tools)}" if found.tools else "")
    )
    name = name or _ask("Project name", found.name, interactive=interactive)
    answers = Answers(
        name=name,
        package="",
        adapter="http" if url else "function",
        src=src or found.src,
        model=model or _ask("Model the agent uses", "gpt-4o-mini", interactive=interactive),
        framework=found.framework,
        tools=found.tools,
    )
    if url:
        answers.http_url, answers.http_message_path = url, message_path
        answers.http_reply_path = reply_path
        answers.package = re.sub(r"\W", "_", name)
    else:
        best = found.candidates[0].entry if found.candidates else ""
        for candidate in found.candidates[:5]:
            click.echo(f"  candidate entry: {candidate.entry}({', '.join(candidate.parameters)})")
        answers.entry = entry or _ask("Entry (module:function)", best, interactive=interactive)
        if ":" not in answers.entry:
            raise WorkbenchError(
                "no entry function found: pass --entry module:function "
                "(a function taking the message; docs/adopt.md), or --url for an HTTP agent"
            )
        answers.package = _package_of(answers.entry, answers.src, root)
        chosen = next((c for c in found.candidates if c.entry == answers.entry), None)
        if chosen is not None and not chosen.reaches_model:
            click.echo(
                f"warning: {answers.entry} takes no base_url/api_base, so runs cannot point it "
                "at the mock model; wrap it in a small adapter function (docs/adopt.md)",
                err=True,
            )
    for path in write_files(root, answers, force=force):
        click.echo(f"wrote {path.relative_to(root)}")
    click.echo(f"next: workbench run {directory} 'Hello' --model mock; workbench check {directory}")

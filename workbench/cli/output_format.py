"""``--format table|tsv|json`` for list commands: a table on a terminal, TSV when piped.

A table is for eyes: it fits the terminal by shortening cells. Piped into a file or
another program, the same command prints TSV instead (one row per line, every id and
value in full, tabs and newlines inside cells escaped), unless ``--format`` says otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

FORMATS = ("table", "tsv", "json")
F = TypeVar("F", bound=Callable[..., Any])
# Wide enough that a table printed into a file is never shortened to fit.
UNLIMITED_WIDTH = 1000


def format_option(command: F) -> F:
    """Add ``--format`` (and keep ``--json`` as its short form) to a list command."""
    command = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (the same as --format json)."
    )(command)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default=None,
        help="table (the default on a terminal), tsv (the default when piped: full ids and "
        "values, one row per line) or json.",
    )(command)


def chosen_format(output_format: str | None, as_json: bool) -> str:
    """The format to print: ``--json`` wins, then ``--format``, then table on a tty, else tsv."""
    if as_json:
        return "json"
    if output_format:
        return output_format
    return "table" if stdout_is_tty() else "tsv"


def stdout_is_tty() -> bool:
    """Whether standard output is a terminal (not a file, a pipe or a test's capture)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced by something without isatty
        return False


def table_width() -> int | None:
    """Width for a rich Console printing a table: the terminal's, or unlimited when piped."""
    return None if stdout_is_tty() else UNLIMITED_WIDTH


def tsv_cell(value: Any) -> str:
    """One TSV cell: None as empty, backslash, tab and newlines escaped."""
    if value is None:
        return ""
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def tsv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header line, then one line per row, cells separated by tabs."""
    lines = ["\t".join(header)]
    lines += ["\t".join(tsv_cell(cell) for cell in row) for row in rows]
    return "\n".join(lines)

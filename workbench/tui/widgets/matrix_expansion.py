"""The lines an expanded matrix row shows: each variant's output (changes against the first
variant highlighted, word by word) and its assertions' verdicts and reasons."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.style import Style
from rich.text import Text

from workbench.core.evals_view import CaseDetail, CaseSide, word_diff

# Wrapped output lines shown per variant; the case screen (enter) shows the rest.
OUTPUT_LINES = 4
_INDENT = "    "
_MARKS = {"pass": "✓", "fail": "✗", "error": "!"}
# The matrix's component style of a kind: pass, fail, error, dim or changed.
Styles = Callable[[str], Style]


def _wrap(text: Text, width: int, console: Console, most: int, dim: Style) -> list[Text]:
    lines = list(text.wrap(console, max(10, width - len(_INDENT)), overflow="fold"))
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1] + Text(" …", style=dim)]
    return [Text(_INDENT) + line for line in lines]


def _output(side: CaseSide, base: CaseSide | None, styles: Styles) -> Text:
    if side.error and not side.output:
        return Text(side.error, style=styles("fail"))
    if not side.output:
        return Text("(no output)", style=styles("dim"))
    if base is None or base is side or not base.output:
        return Text(side.output)
    _, segments = word_diff(base.output, side.output)
    text = Text()
    for chunk, changed in segments:
        text.append(chunk, styles("changed") if changed else None)
    return text


def expansion_lines(
    detail: CaseDetail | None, width: int, console: Console, styles: Styles
) -> list[Text]:
    """The expanded row's lines at ``width`` cells (a one-line note while loading)."""
    dim = styles("dim")
    if detail is None:
        return [Text(f"{_INDENT}loading…", style=dim)]
    lines: list[Text] = []
    sides = [detail.side(name) for name in detail.variants]
    base = sides[0] if sides else None
    for side in sides:
        if side is None:
            continue
        mark = _MARKS.get(side.status, "?")
        figures = [f"score {side.score:.2f}"]
        if side.latency_ms is not None:
            figures.append(f"{side.latency_ms:.0f} ms")
        if side.cost_usd is not None:
            figures.append(f"${side.cost_usd:.4f}")
        against = ""
        if base is not None and side is not base:
            against = f"  · Δ vs {base.variant} highlighted"
        lines.append(
            Text.assemble(
                ("  ", ""),
                (f"{mark} {side.variant}", styles(side.status) + Style(bold=True)),
                (f"  {' · '.join(figures)}", dim),
                (against, dim),
            )
        )
        lines += _wrap(_output(side, base, styles), width, console, OUTPUT_LINES, dim)
        for assertion in side.assertions:
            ok = assertion.passed
            reason = f" — {assertion.reason}" if assertion.reason else ""
            lines += _wrap(
                Text.assemble(
                    ("✓ " if ok else "✗ ", styles("pass" if ok else "fail")),
                    (assertion.label, dim if ok else Style(bold=True)),
                    (reason, dim if ok else Style()),
                ),
                width,
                console,
                2,
                dim,
            )
    return lines or [Text(f"{_INDENT}no results", style=dim)]

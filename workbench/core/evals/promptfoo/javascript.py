"""A Python equivalent of a simple promptfoo ``javascript`` assertion, suggested, never applied."""

from __future__ import annotations

import re
from typing import Any

from workbench.core.evals.promptfoo.files import is_file_ref

_JS_TO_PY = [
    (r"\.toLowerCase\(\)", ".lower()"),
    (r"\.toUpperCase\(\)", ".upper()"),
    (r"(\w+(?:\.\w+(?:\(\))?)*)\.includes\(([^()]*)\)", r"\2 in \1"),
    (r"(\w+)\.length\b", r"len(\1)"),
    (r"\.startsWith\(", ".startswith("),
    (r"\.endsWith\(", ".endswith("),
    (r"\.trim\(\)", ".strip()"),
    (r"JSON\.parse\(", "json.loads("),
    (r"(json\.loads\([^()]*\))\.(\w+)", r"\1['\2']"),
    (r"===", "=="),
    (r"!==", "!="),
    (r"&&", " and "),
    (r"\|\|", " or "),
    (r"!(?!=)", "not "),
    (r"\btrue\b", "True"),
    (r"\bfalse\b", "False"),
    (r"\bnull\b", "None"),
]


def suggest_python(raw: dict[str, Any]) -> str:
    """A Python equivalent of a simple JavaScript assertion, to write by hand (never applied)."""
    code = raw.get("value")
    if not isinstance(code, str) or "\n" in code.strip() or is_file_ref(code):
        return "type: python with an inline body or a file.py:function that returns the verdict"
    text = code.strip().rstrip(";")
    for pattern, replacement in _JS_TO_PY:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\s+", " ", text).replace("not  ", "not ")
    negated = "not-" if raw.get("type", "").startswith("not-") else ""
    return f"{{type: {negated}python, value: {text!r}}}"

"""Citations in an answer: square-bracketed chunk or document ids right after a claim.

`Returns are accepted within 30 days [returns-policy#1].` An id is letters, digits and
`- _ . / #` with at least one letter (a footnote number like `[1]` is not an id); one
bracket may hold several ids separated by commas. A Markdown link `[text](url)` is not one.
"""

from __future__ import annotations

import re

_ID = r"[A-Za-z0-9_\-./#]*[A-Za-z][A-Za-z0-9_\-./#]*"
CITATION = re.compile(rf"\[\s*({_ID}(?:\s*[,;]\s*{_ID})*)\s*\](?!\()")


def parse_citations(text: str) -> list[str]:
    """The cited ids in order of first appearance, each once."""
    found: dict[str, None] = {}
    for match in CITATION.finditer(text or ""):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            found.setdefault(part, None)
    return list(found)

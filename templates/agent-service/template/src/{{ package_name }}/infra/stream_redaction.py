"""Output redaction for streamed text: pieces are released only once no redaction can span them.

A phone number, a card number or a key may arrive split over several model deltas, so each
piece is held back until the text after it is long enough that the redaction of what is
released can no longer change. What is released is redacted exactly as `check_output`
redacts the whole answer (secrets, then PII).
"""

from __future__ import annotations

import re

from . import guardrails

_BLOCK_START = "-----BEGIN"
_BLOCK_END = re.compile(r"-----END [A-Z ]*-----")


def redact(text: str) -> str:
    """The text as the output guardrails would leave it (secrets, then PII), without spans."""
    return guardrails.redact_pii(guardrails.redact_secrets(text).text).text


def _joinable(word: str) -> bool:
    """Whether text still to come could extend a match across the space after `word`.

    Phone and card numbers are digit groups separated by spaces, a bearer token follows its
    keyword after one, and a key block starts with `-----BEGIN ...`; every other pattern the
    guardrails redact is a single word.
    """
    return (
        any(char.isdigit() for char in word)
        or word in ("(", "+")
        or word.lower() == "bearer"
        or word.startswith("-----")
    )


class StreamRedactor:
    """Feed raw deltas in; get back redacted text that is safe to send now.

    Complete words are released at once; the word being written, digit groups (a number
    may continue after the space) and an unfinished key block are held until they cannot
    change any more.
    """

    def __init__(self) -> None:
        self.pending = ""

    def feed(self, text: str) -> str:
        """Add a delta; return the redacted text released by it (often empty)."""
        self.pending += text
        cut = self._safe_cut()
        if cut <= 0:
            return ""
        released, self.pending = self.pending[:cut], self.pending[cut:]
        return redact(released)

    def flush(self) -> str:
        """The redacted rest, once the model's answer is complete."""
        released, self.pending = self.pending, ""
        return redact(released) if released else ""

    def _safe_cut(self) -> int:
        limit = len(self.pending)
        block = self.pending.find(_BLOCK_START)
        if block != -1 and not _BLOCK_END.search(self.pending, block):
            limit = block  # a key block is redacted whole: hold it until it ends
        cut = self._after_whitespace(limit)
        while cut > 0:
            words = self.pending[:cut].split()
            if not words or not _joinable(words[-1]):
                break
            cut = self._after_whitespace(self.pending.rindex(words[-1], 0, cut))
        # Whatever the rules above missed: what is released must redact as in the whole.
        whole = redact(self.pending)
        while cut > 0 and not whole.startswith(redact(self.pending[:cut])):
            cut = self._after_whitespace(cut - 1)
        return cut

    def _after_whitespace(self, limit: int) -> int:
        """The position just after the last whitespace before `limit` (0 if none)."""
        for index in range(min(limit, len(self.pending)) - 1, -1, -1):
            if self.pending[index].isspace():
                return index + 1
        return 0

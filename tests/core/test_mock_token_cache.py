"""The mock remembers the counts of the texts agents resend with every call, within a bound."""

from __future__ import annotations

from workbench.core.mock import tokenizer


def test_a_resent_text_is_counted_once_and_a_long_one_is_not_kept() -> None:
    encoding = tokenizer.encoding_for("gpt-4o-mini", counting=True)
    assert encoding is not None
    tokenizer._count_remembered.cache_clear()
    system = "You are the support agent of an online shop. Answer briefly. " * 20
    first = tokenizer.count(encoding, system)
    again = tokenizer.count(encoding, system)
    assert first == again == tokenizer._count(encoding, system)
    assert tokenizer._count_remembered.cache_info().hits == 1
    long_text = "x" * (tokenizer.CACHED_CHARS + 1)
    assert tokenizer.count(encoding, long_text) == tokenizer._count(encoding, long_text)
    # A long text is never held in memory by the cache.
    assert tokenizer._count_remembered.cache_info().currsize == 1

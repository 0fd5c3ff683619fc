"""Sampling parameters applied to a rule's answer: ``stop``, ``max_tokens`` and ``logprobs``."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from workbench.core.llm import import_litellm
from workbench.core.mock import tokenizer
from workbench.core.mock.draws import unit

WORDS_PER_PIECE = 3


def token_limit(body: dict) -> int | None:
    """``max_completion_tokens``, else ``max_tokens``, else None (no limit)."""
    limit = body.get("max_completion_tokens")
    return limit if limit is not None else body.get("max_tokens")


def stop_sequences(body: dict) -> list[str]:
    """``stop`` as a list of non-empty strings."""
    stop = body.get("stop")
    items = [stop] if isinstance(stop, str) else list(stop or [])
    return [item for item in items if item]


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """``text`` up to (not including) the earliest stop sequence, and whether one was found."""
    found = [text.find(stop) for stop in stops if stop in text]
    return (text[: min(found)], True) if found else (text, False)


def encode(model: str, text: str) -> list[int]:
    """The token ids of ``text`` under ``model``'s tokenizer (as litellm's ``encode``)."""
    tokens = tokenizer.encode(model, text)
    return tokens if tokens is not None else list(import_litellm().encode(model=model, text=text))


def decode(model: str, tokens: list[int]) -> str:
    """The text of ``tokens`` under ``model``'s tokenizer (as litellm's ``decode``)."""
    if not tokens:
        return ""
    text = tokenizer.decode(model, tokens)
    return text if text is not None else str(import_litellm().decode(model=model, tokens=tokens))


def truncate(model: str, text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` tokens, and whether it was cut."""
    tokens = encode(model, text)
    if len(tokens) <= limit:
        return text, False
    return decode(model, tokens[:limit]).rstrip("\ufffd"), True


def pieces(text: str) -> list[str]:
    """How a text is streamed: a few words (with their trailing space) per chunk."""
    words = re.findall(r"\S+\s*|\s+", text)
    size = WORDS_PER_PIECE
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)] or [""]


def logprob_entries(model: str, text: str, top: int, key: str) -> list[dict[str, Any]]:
    """Plausible, reproducible ``logprobs.content`` entries: one per token of ``text``."""
    tokens = encode(model, text) if text else []
    return [_entry(model, token, top, key, position) for position, token in enumerate(tokens)]


def _entry(model: str, token: int, top: int, key: str, position: int) -> dict[str, Any]:
    # Most chosen tokens are near-certain: logprob in (-2.5, 0], skewed towards 0.
    chosen = -2.5 * unit(key, "logprob", position) ** 3
    text = decode(model, [token])
    entry: dict[str, Any] = {
        "token": text,
        "logprob": round(chosen, 6),
        "bytes": list(text.encode()),
        "top_logprobs": [],
    }
    if top:
        alternatives = [{"token": text, "logprob": entry["logprob"], "bytes": entry["bytes"]}]
        remaining = max(1e-9, 1.0 - math.exp(chosen))
        for rank in range(1, top):
            other = _neighbour(token, key, position, rank)
            spelt = decode(model, [other])
            share = remaining * (0.6**rank) * (0.5 + 0.5 * unit(key, position, rank))
            alternatives.append(
                {
                    "token": spelt,
                    "logprob": round(math.log(share), 6),
                    "bytes": list(spelt.encode()),
                }
            )
        entry["top_logprobs"] = sorted(alternatives, key=lambda a: -a["logprob"])
    return entry


def _neighbour(token: int, key: str, position: int, rank: int) -> int:
    digest = hashlib.sha256(f"{key}:{position}:{rank}".encode()).digest()
    # Ids below 50000 exist in every tokenizer litellm bundles.
    other = int.from_bytes(digest[:4], "big") % 50000
    return other if other != token else (other + 1) % 50000


def fingerprint(priced_as: str) -> str:
    """The ``system_fingerprint``: the same for every answer of the same mock configuration."""
    return "fp_" + hashlib.sha256(f"workbench-mock:{priced_as}".encode()).hexdigest()[:10]

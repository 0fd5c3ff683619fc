"""litellm's token counts for plain OpenAI models, without importing litellm.

Importing litellm costs seconds of CPU, which a ``workbench run --model mock`` would pay in
the workbench process while the agent's own process imports litellm too. For a plain OpenAI
chat model (the mock's usual ``priced_as``) litellm's ``token_counter``, ``encode`` and
``decode`` come down to tiktoken with the encodings litellm bundles, so this module does the
same with tiktoken, reading those bundled files (offline, as litellm does).

Every function returns None where litellm could count differently (another provider's
tokenizer, a chat template's tool section, image parts, odd message shapes, overridden
chunk sizes): the callers then ask litellm itself. tests/core/test_mock_tokenizer.py holds
the counts equal to litellm's.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from workbench.core.mock.tool_text import definitions_text, function_tools
from workbench.core.pricing import litellm_folder, model_map

if TYPE_CHECKING:
    from tiktoken import Encoding

# litellm encodes in chunks of this many characters (its TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS);
# a count can differ by a token at a chunk boundary, so the chunks must be the same.
CHUNK_CHARS = 1024
# litellm extrapolates from samples above this many characters (TOKEN_COUNTER_MAX_EXACT_CHARS).
MAX_EXACT_CHARS = 4_000_000
# What litellm's ``encode``/``decode`` use for every model on its tiktoken path.
DEFAULT_ENCODING = "cl100k_base"
BUNDLED = ("cl100k_base", "o200k_base")
# Names litellm gives a HuggingFace tokenizer or a chat template's tool section, or counts with
# the legacy per-message constants: never on this path, whatever the provider says.
_OTHER_COUNTING = re.compile(r"llama|replicate|deepseek|qwen|grok|gpt-3\.5-turbo-0301", re.I)
_TUNING_VARIABLES = ("TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS", "TOKEN_COUNTER_MAX_EXACT_CHARS")
_load_lock = threading.Lock()


def plain_openai_model(model: str) -> bool:
    """Whether litellm counts ``model`` with tiktoken and OpenAI's message accounting: a model
    its map lists under the ``openai`` provider (as litellm's ``open_ai_chat_completion_models``
    holds it), not a fine-tune, not one with another tokenizer or template."""
    entry = model_map().get(model)
    return (
        entry is not None
        and entry.get("litellm_provider") == "openai"
        and not model.startswith("ft:")
        and "/" not in model
        and _OTHER_COUNTING.search(model) is None
        and not any(name in os.environ for name in _TUNING_VARIABLES)
    )


def counting_encoding_name(model: str) -> str | None:
    """The tiktoken encoding litellm's ``token_counter`` uses for ``model``, or None."""
    if not plain_openai_model(model):
        return None
    if "gpt-4o" in model:
        return "o200k_base"
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return None
    return name if name in BUNDLED else None


def _bundled_encoding(name: str) -> Encoding | None:
    # One load per encoding, even when the mock's threads ask for it at once.
    with _load_lock:
        return _load_bundled(name)


@lru_cache(maxsize=len(BUNDLED))
def _load_bundled(name: str) -> Encoding | None:
    folder = litellm_folder()
    if folder is None:
        return None
    cache = folder / "litellm_core_utils" / "tokenizers"
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    # tiktoken names its cached copy by the SHA-1 of the URL; litellm ships that cache.
    if not (cache / hashlib.sha1(url.encode()).hexdigest()).is_file():
        return None
    import tiktoken

    # tiktoken reads its cache folder from the environment when it loads; point it at
    # litellm's copy (as litellm does) only meanwhile, so nothing else inherits it.
    before = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        return tiktoken.get_encoding(name)
    finally:
        if before is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = before


def encoding_for(model: str, *, counting: bool) -> Encoding | None:
    """The encoding litellm counts ``model`` with (``counting``) or encodes and decodes it with;
    None where litellm must be asked."""
    name = counting_encoding_name(model) if counting else DEFAULT_ENCODING
    if name is None or (not counting and not plain_openai_model(model)):
        return None
    return _bundled_encoding(name)


# Texts up to this long are remembered with their counts: an agent sends the same system
# prompt and tool definitions with every call, and the mock counts them every time.
CACHED_CHARS = 16 * 1024


def count(encoding: Encoding, text: str) -> int:
    """Tokens in ``text``, encoded in litellm's chunks, special tokens as plain text."""
    if len(text) <= CACHED_CHARS:
        return _count_remembered(encoding, text)
    return _count(encoding, text)


@lru_cache(maxsize=512)
def _count_remembered(encoding: Encoding, text: str) -> int:
    return _count(encoding, text)


def _count(encoding: Encoding, text: str) -> int:
    return sum(
        len(encoding.encode(text[start : start + CHUNK_CHARS], disallowed_special=()))
        for start in range(0, len(text), CHUNK_CHARS)
    )


def text_tokens(model: str, text: str) -> int | None:
    """``litellm.token_counter(model=model, text=text)``, or None where litellm must count."""
    encoding = encoding_for(model, counting=True)
    if encoding is None or len(text) > MAX_EXACT_CHARS:
        return None
    return count(encoding, text)


def prompt_tokens(
    model: str, messages: Sequence[object], tools: Sequence[object] | None
) -> int | None:
    """``litellm.token_counter(model=model, messages=messages, tools=tools)`` for plain
    messages (string content, tool calls) and function tools, else None."""
    encoding = encoding_for(model, counting=True)
    if encoding is None:
        return None
    total = 3  # the reply's primer
    system = False
    for message in messages:
        if not isinstance(message, Mapping):
            return None
        tokens = _message_tokens(encoding, message)
        if tokens is None:
            return None
        total += tokens
        system = system or message.get("role") == "system"
    if tools:
        functions = function_tools(tools)
        if functions is None:
            return None
        text = definitions_text(functions)
        if len(text) > MAX_EXACT_CHARS:
            return None
        # OpenAI folds the tools into the system message when there is one.
        total += count(encoding, text) + 9 - (4 if system else 0)
    return total


def _message_tokens(encoding: Encoding, message: Mapping) -> int | None:
    tokens = 3  # each message's framing
    for key, value in message.items():
        if value is None:
            continue
        if key == "tool_calls":
            if not isinstance(value, list):
                return None
            for call in value:
                function = call.get("function") if isinstance(call, Mapping) else None
                if not isinstance(function, Mapping):
                    return None
                arguments = str(function.get("arguments", ""))
                if len(arguments) > MAX_EXACT_CHARS:
                    return None
                tokens += count(encoding, arguments)
        elif isinstance(value, str):
            if len(value) > MAX_EXACT_CHARS:
                return None
            tokens += count(encoding, value) + (1 if key == "name" else 0)
        elif key in ("content", "function_call", "provider_specific_fields", "search_results"):
            return None  # parts (images, files), legacy calls: litellm's own rules
    return tokens


def encode(model: str, text: str) -> list[int] | None:
    """``litellm.encode(model=model, text=text)``, or None where litellm must encode."""
    encoding = encoding_for(model, counting=False)
    return None if encoding is None else encoding.encode(text, disallowed_special=())


def decode(model: str, tokens: list[int]) -> str | None:
    """``litellm.decode(model=model, tokens=tokens)``, or None where litellm must decode."""
    encoding = encoding_for(model, counting=False)
    return None if encoding is None else encoding.decode(tokens)

"""``/v1/embeddings``: deterministic vectors whose cosine similarity follows shared text.

Each text becomes a bag of features (its lower-cased words and the character trigrams of
each word), hashed into ``dimensions`` signed buckets (the hashing trick) and scaled to
unit length. The same text always gets the same vector; texts sharing words or word
pieces point the same way, unrelated texts are nearly orthogonal. No model, no network.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from typing import Any

from workbench.core.mock.api_errors import ApiError, invalid_type, invalid_value, missing
from workbench.core.mock.catalog import EMBEDDING_MODELS, FIXED_SIZE
from workbench.core.mock.sampling import decode, encode

ENCODINGS = ("float", "base64")
MAX_INPUTS = 2048
WORD = re.compile(r"\w+", re.UNICODE)
DEFAULT_SIZE = 1536


def features(text: str) -> dict[str, float]:
    """The weighted features of ``text``: whole words (2.0) and character trigrams (1.0)."""
    out: dict[str, float] = {}
    for word in WORD.findall(text.casefold()):
        out["w:" + word] = out.get("w:" + word, 0.0) + 2.0
        padded = f"<{word}>"
        for start in range(len(padded) - 2):
            gram = "g:" + padded[start : start + 3]
            out[gram] = out.get(gram, 0.0) + 1.0
    return out


def embed(text: str, dimensions: int) -> list[float]:
    """A unit-length vector of ``dimensions`` floats for ``text``."""
    vector = [0.0] * dimensions
    for feature, weight in features(text).items():
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "big") % dimensions
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[bucket] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        # A text without words still gets a fixed unit vector of its own.
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest, "big") % dimensions] = 1.0
        return vector
    return [v / norm for v in vector]


def _texts(model: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        raise ApiError(
            "'$.input' is invalid. Please check the API reference: "
            "https://platform.openai.com/docs/api-reference.",
            param="input",
            code=None,
        )
    if all(isinstance(item, str) for item in value):
        return list(value)
    if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return [decode(model, value)]
    if all(isinstance(item, list) and all(isinstance(t, int) for t in item) for item in value):
        return [decode(model, item) for item in value]
    raise invalid_type("input", "a string, an array of strings or of token arrays", value)


def create(body: Any, tokenizer_model: str) -> dict[str, Any]:
    """The ``list`` of embeddings answering a (validated here) embeddings request."""
    if not isinstance(body, dict):
        raise ApiError("The request body must be a JSON object.", code="invalid_type")
    model = body.get("model")
    if not model:
        raise ApiError("you must provide a model parameter", param="model")
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    if "input" not in body:
        raise missing("input")
    texts = _texts(tokenizer_model, body["input"])
    if len(texts) > MAX_INPUTS:
        raise ApiError(
            f"Invalid 'input': maximum array size is {MAX_INPUTS}.", param="input", code=None
        )
    if any(text == "" for text in texts):
        raise ApiError("'$.input' is invalid: an input must not be an empty string.", param="input")
    fmt = body.get("encoding_format") or "float"
    if fmt not in ENCODINGS:
        raise invalid_value("encoding_format", fmt, ENCODINGS)
    size = _size(model, body.get("dimensions"))
    data = []
    for index, text in enumerate(texts):
        vector = embed(text, size)
        value: Any = vector
        if fmt == "base64":
            value = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    tokens = sum(len(encode(tokenizer_model, text)) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _size(model: str, dimensions: Any) -> int:
    default = EMBEDDING_MODELS.get(model, DEFAULT_SIZE)
    if dimensions is None:
        return default
    if model in FIXED_SIZE:
        raise ApiError(
            "This model does not support specifying dimensions.", param="dimensions", code=None
        )
    if not isinstance(dimensions, int) or isinstance(dimensions, bool):
        raise invalid_type("dimensions", "an integer", dimensions)
    if not 1 <= dimensions <= default:
        raise ApiError(
            f"Invalid 'dimensions': expected a value between 1 and {default}, but got "
            f"{dimensions} instead.",
            param="dimensions",
            code="invalid_value",
        )
    return dimensions

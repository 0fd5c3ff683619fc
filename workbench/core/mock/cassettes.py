"""Cassettes: recorded model answers keyed by a hash of the normalized request, secrets scrubbed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The request fields that decide the answer; ids, keys, users and the stream flag do not.
HASHED_FIELDS = (
    "model",
    "messages",
    "tools",
    "tool_choice",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "response_format",
    # Each changes the answer's shape or draw; absent fields leave older hashes unchanged.
    "n",
    "stop",
    "seed",
    "top_p",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
)
_MESSAGE_FIELDS = ("role", "content", "name", "tool_calls")
SECRET_KEYS = re.compile(
    r"(?i)^(authorization|api[-_]?key|x-api-key|openai[-_]api[-_]key|password|secret|token"
    r"|access[-_]token|refresh[-_]token|client[-_]secret)$"
)
SECRET_SHAPES = re.compile(
    r"(?:sk-[A-Za-z0-9_\-]{8,}"  # OpenAI, Anthropic (sk-ant-...), many proxies
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{30,}"  # Google
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,})"
)
REDACTED = "[REDACTED]"


def _message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    out = {key: message[key] for key in _MESSAGE_FIELDS if message.get(key) is not None}
    if isinstance(out.get("content"), list):
        parts = out["content"]
        if all(isinstance(p, dict) and p.get("type") == "text" for p in parts):
            out["content"] = "".join(p.get("text", "") for p in parts)
    # Tool-call ids are random per provider; the order of calls and results carries the meaning.
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {"name": (c.get("function") or {}).get("name"), "arguments": _arguments(c)}
            for c in out["tool_calls"]
            if isinstance(c, dict)
        ]
    return out


def _arguments(call: dict) -> Any:
    raw = (call.get("function") or {}).get("arguments")
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return raw


def normalize(body: dict) -> dict[str, Any]:
    """The parts of a request that decide its answer, in a canonical shape."""
    out: dict[str, Any] = {}
    for key in HASHED_FIELDS:
        if body.get(key) is not None:
            out[key] = body[key]
    if "max_completion_tokens" in out and "max_tokens" not in out:
        out["max_tokens"] = out.pop("max_completion_tokens")
    out["messages"] = [_message(m) for m in body.get("messages") or []]
    return out


def request_hash(body: dict) -> str:
    """A stable hash of the normalized request (sorted keys, no whitespace)."""
    canonical = json.dumps(normalize(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def scrub(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """``value`` with secret-named keys and secret-shaped strings replaced by ``[REDACTED]``."""
    if isinstance(value, dict):
        return {
            key: REDACTED if SECRET_KEYS.match(str(key)) and value[key] else scrub(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret and len(secret) >= 6:
                value = value.replace(secret, REDACTED)
        return SECRET_SHAPES.sub(REDACTED, value)
    return value


class CassetteStore:
    """One JSON file per request hash in a folder (``[mock] cassettes``, default ``cassettes/``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        """Where the cassette for ``key`` lives."""
        return self.folder / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The recorded response for ``key``, or None."""
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))["response"]
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return None

    def save(
        self, key: str, body: dict, response: dict, *, upstream: str, secrets: tuple[str, ...] = ()
    ) -> Path:
        """Write one cassette atomically, scrubbed of secrets."""
        entry = {
            "hash": key,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "upstream_model": upstream,
            "request": normalize(body),
            "response": response,
        }
        text = json.dumps(scrub(entry, secrets), indent=2, sort_keys=True, ensure_ascii=False)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.replace(temp, self.path(key))
        return self.path(key)

    def __len__(self) -> int:
        return len(list(self.folder.glob("*.json"))) if self.folder.is_dir() else 0

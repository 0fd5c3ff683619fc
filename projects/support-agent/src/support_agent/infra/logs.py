"""Structured JSON logs (structlog) carrying the request and session ids from contextvars."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SECRET_KEYS = ("api_key", "apikey", "authorization", "password", "secret", "token")
_configured = False


def _drop_secrets(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Never let a credential reach the logs, whatever a caller passes."""
    for key in list(event):
        lowered = key.lower()
        if any(part in lowered for part in _SECRET_KEYS) and not lowered.endswith("_tokens"):
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr; safe to call more than once."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_secrets,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str = "agent") -> Any:
    """A logger whose events carry the bound request_id and session_id."""
    return structlog.get_logger(name)


def bind_ids(**ids: str | None) -> None:
    """Bind request_id / session_id for every log line of the current task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v})


def clear_ids() -> None:
    """Forget the ids bound for the current task."""
    structlog.contextvars.clear_contextvars()

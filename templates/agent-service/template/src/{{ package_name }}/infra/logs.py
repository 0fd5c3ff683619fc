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


# Libraries that log through the standard library with handlers of their own (plain text):
# their records are taken over and rendered as JSON lines like the service's own.
LIBRARY_LOGGERS = (
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "httpx",
    "httpcore",
)
_CHATTY_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx", "httpcore")


def _processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]


class _JsonHandler(logging.StreamHandler):
    """The root handler: standard-library records as the same JSON lines as structlog's."""


def _json_handler() -> logging.Handler:
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_processors()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.dict_tracebacks,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    return handler


def route_library_logs() -> None:
    """Send litellm's, uvicorn's and httpx's records to the JSON root handler.

    litellm adds a plain-text handler to its loggers when it is imported, so this runs
    again after that import (see `agents.llm.litellm_module`).
    """
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.handlers:
            logger.handlers.clear()
        logger.propagate = True
    # httpx logs every request and litellm every call at INFO: keep only their warnings.
    quiet = max(logging.getLogger().level, logging.WARNING)
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        # setLevel empties every logger's level cache: only when the level is wrong (this
        # runs on every turn).
        if logger.level != quiet:
            logger.setLevel(quiet)


def configure_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr, the standard library's records too; safe to call again."""
    global _configured
    if not _configured:
        numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        structlog.configure(
            processors=[
                *_processors(),
                structlog.processors.dict_tracebacks,
                structlog.processors.JSONRenderer(),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(numeric),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
            cache_logger_on_first_use=False,
        )
        root = logging.getLogger()
        root.handlers = [h for h in root.handlers if not isinstance(h, _JsonHandler)]
        root.addHandler(_json_handler())
        root.setLevel(numeric)
        # Python warnings (a library's DeprecationWarning, ...) become JSON lines too.
        logging.captureWarnings(True)
        _configured = True
    # On every call: uvicorn and litellm give their loggers plain-text handlers of their own.
    route_library_logs()


def get_logger(name: str = "agent") -> Any:
    """A logger whose events carry the bound request_id and session_id."""
    return structlog.get_logger(name)


def bind_ids(**ids: str | None) -> None:
    """Bind request_id / session_id for every log line of the current task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v})


def clear_ids() -> None:
    """Forget the ids bound for the current task."""
    structlog.contextvars.clear_contextvars()

"""Forwarding's configuration: the upstream URL, its headers, and how hard to try.

``forward_config`` reads it from the command line's flags over the settings
(``WORKBENCH_COLLECT_FORWARD``, ``WORKBENCH_COLLECT_FORWARD_HEADERS``); header lists
are parsed here with one-line errors that never echo a header's value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from workbench.errors import WorkbenchError

DEFAULT_QUEUE = 1000


@dataclass(frozen=True)
class ForwardConfig:
    """Where to forward, with which headers, and how hard to try."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    max_queue: int = DEFAULT_QUEUE
    timeout_s: float = 10.0
    attempts: int = 8
    # Seconds one export may spend in retries before it is dropped.
    retry_timeout_s: float = 120.0
    wait_initial_s: float = 0.5
    wait_max_s: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise WorkbenchError(f"--forward {self.url!r}: expected an http(s):// URL")
        if self.max_queue < 1:
            raise WorkbenchError("the forward queue must hold at least one export")

    @property
    def display_url(self) -> str:
        """The URL without credentials, query or fragment: safe for logs and /healthz."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def target(self, path: str) -> str:
        """The upstream address for an export received at ``path`` (``/v1/traces`` …)."""
        parts = urlsplit(self.url)
        base = parts.path.rstrip("/")
        # An endpoint given with its signal path (…/v1/traces) is used as the base's end.
        for signal in ("/v1/traces", "/v1/logs", "/v1/metrics"):
            if base.endswith(signal):
                base = base[: -len(signal)]
                break
        return urlunsplit((parts.scheme, parts.netloc, base + path, parts.query, ""))


def parse_headers(pairs: Iterable[str], *, where: str = "--forward-header") -> dict[str, str]:
    """``K=V`` pairs as headers; a one-line error naming the bad pair (never its value)."""
    headers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or any(c.isspace() for c in key):
            raise WorkbenchError(f"{where}: expected KEY=VALUE, got a pair without '=' or key")
        headers[key] = value.strip()
    return headers


def parse_header_list(text: str, *, where: str) -> dict[str, str]:
    """An ``OTEL_EXPORTER_OTLP_HEADERS``-style list: ``k1=v1,k2=v2`` (values URL-decoded)."""
    pairs = [part for part in text.split(",") if part.strip()]
    return {key: unquote(value) for key, value in parse_headers(pairs, where=where).items()}


def forward_config(
    url: str | None = None,
    header_pairs: Iterable[str] = (),
    *,
    headers_env: str | None = None,
    max_queue: int = DEFAULT_QUEUE,
) -> ForwardConfig | None:
    """Forwarding as configured: ``url`` (else ``WORKBENCH_COLLECT_FORWARD``), or None.

    Headers come from ``WORKBENCH_COLLECT_FORWARD_HEADERS`` (or the environment
    variable ``headers_env`` names), then ``header_pairs`` (``K=V``) over them.
    """
    from workbench.settings import get_settings

    settings = get_settings()
    url = url or settings.collect_forward
    if not url:
        return None
    headers: dict[str, str] = {}
    if headers_env:
        text = os.environ.get(headers_env)
        if text is None:
            raise WorkbenchError(
                f"forward headers: the environment variable {headers_env} is unset"
            )
        headers.update(parse_header_list(text, where=headers_env))
    elif settings.collect_forward_headers:
        where = "WORKBENCH_COLLECT_FORWARD_HEADERS"
        headers.update(parse_header_list(settings.collect_forward_headers, where=where))
    headers.update(parse_headers(header_pairs))
    return ForwardConfig(url=url, headers=headers, max_queue=max_queue)

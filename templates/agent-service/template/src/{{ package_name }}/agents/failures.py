"""Why a model call failed, and whether another attempt can help.

The decision reads the HTTP status the provider returned (the response in the exception
chain), not litellm's exception class: those classes drift between releases (litellm 1.110
reports a 403 as a generic `APIError`). When no response came back, the network error
underneath decides: a host that does not resolve, a certificate that does not verify or a URL
that is not one cannot heal, so they are never retried; a refused connection (a server
restarting) gets one more try; timeouts and dropped connections get the configured retries.
Fallback models on an endpoint that did not answer at all are not tried either.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

# 4xx answers worth another attempt: timeout, conflict, too early, rate limit. Every other 4xx
# (400, 401, 403, 404, 422, ...) is the request's or the credentials' fault and fails the
# same way again. Every 5xx is retried.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})

# Exception class names (from aiohttp and httpx, litellm's transports) for a URL no request
# can be sent to; matched by name so a transport swap does not need an import here.
_BAD_URL_ERRORS = frozenset(
    {"InvalidURL", "InvalidUrlClientError", "NonHttpUrlClientError", "UnsupportedProtocol"}
)


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    # The provider's HTTP status (None when no response came back).
    status: int | None
    retry: bool
    # Retry at most once (a refused connection): a restarting server comes back quickly.
    brief: bool = False
    # Nothing behind the endpoint answers (DNS, TLS, URL, refused): fallbacks on it are skipped.
    endpoint_down: bool = False
    # What an operator reads, for failures without an HTTP answer ("" when there is one).
    network: str = ""

    def retries(self, configured: int) -> int:
        """How many more attempts this failure deserves, given the configured retries."""
        if not self.retry:
            return 0
        return min(configured, 1) if self.brief else configured


def causes(error: BaseException) -> list[BaseException]:
    """`error` and everything it was raised from, outermost first."""
    chain, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def where(api_base: str | None) -> str:
    """The endpoint without credentials or query, for messages."""
    if not api_base:
        return "the provider's API"
    parts = urlsplit(api_base)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else api_base


def response_status(error: BaseException) -> int | None:
    """The status of the HTTP response the provider sent, if one came back.

    Only an `httpx.HTTPStatusError` proves a response: litellm attaches a made-up 500 response
    to connection errors, so its own `status_code` is not evidence of an answer.
    """
    for cause in causes(error):
        if isinstance(cause, httpx.HTTPStatusError):
            return cause.response.status_code
    return None


def _network(error: BaseException, api_base: str | None) -> Failure | None:
    """The failure when no response came back, from the network error underneath."""
    endpoint = where(api_base)
    for cause in causes(error):
        names = {cls.__name__ for cls in type(cause).__mro__}
        if isinstance(cause, socket.gaierror):
            return Failure(None, False, endpoint_down=True, network=f"cannot resolve {endpoint}")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Failure(
                None, False, endpoint_down=True, network=f"TLS certificate of {endpoint} rejected"
            )
        if names & _BAD_URL_ERRORS:
            return Failure(None, False, endpoint_down=True, network=f"invalid URL {endpoint}")
        if isinstance(cause, ConnectionRefusedError):
            return Failure(
                None,
                True,
                brief=True,
                endpoint_down=True,
                network=f"connection refused to {endpoint}",
            )
        if isinstance(cause, TimeoutError | httpx.TimeoutException):
            return Failure(None, True, network=f"timed out waiting for {endpoint}")
        if isinstance(cause, ConnectionError):
            return Failure(
                None, True, network=f"connection to {endpoint} failed ({type(cause).__name__})"
            )
    return None


def classify(error: BaseException, api_base: str | None = None) -> Failure:
    """Classify a failed attempt: the provider's HTTP status first, then the network error,
    then the status litellm assigned (errors raised without a transport, e.g. by a provider
    SDK or litellm's `mock_response`). Anything else is not retried: it is not transient."""
    status = response_status(error)
    if status is None:
        network = _network(error, api_base)
        if network is not None:
            return network
        assigned = getattr(error, "status_code", None)
        status = assigned if isinstance(assigned, int) and 100 <= assigned <= 599 else None
    if status is None:
        return Failure(None, False)
    return Failure(status, status in RETRYABLE_4XX or status >= 500)

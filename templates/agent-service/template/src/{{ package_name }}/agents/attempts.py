"""Each model attempt the Router makes, classified by the provider's HTTP status.

litellm's Router runs every attempt through its host (`PythonHost.invoke`). The host built here
wraps the completion call: a failed attempt is classified (`failures.classify`), re-raised as the
litellm exception class of the status the provider actually returned (so the Router's allowed
fails policy and the message agree with the status), and stamped with the retries it deserves
(`num_retries`, which the Router reads before its own count). So a 403 is tried once per model,
a 429 or a 503 is retried with the Router's backoff (which honours Retry-After), and an endpoint
that cannot heal (no DNS, a bad certificate, not a URL) is neither retried nor tried again
through a fallback on the same endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import httpx

from . import transport
from .failures import Failure, causes, classify

# The litellm class for each status whose class decides the Router's cooldown bookkeeping.
_STATUS_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    422: "UnprocessableEntityError",
}

# Endpoints found unusable during the current logical call (see `one_call`).
_down: ContextVar[set[str] | None] = ContextVar("model_endpoints_down", default=None)


def endpoint_of(model: str, api_base: str | None) -> str:
    """What fails together: the api_base when one is set, else the model's provider."""
    if api_base:
        return api_base.rstrip("/")
    return model.split("/", 1)[0] if "/" in model else "openai"


@contextmanager
def one_call():
    """Track, for one logical call, which endpoints failed beyond repair."""
    token = _down.set(set())
    try:
        yield
    finally:
        _down.reset(token)


def _as_status_class(error: Exception, failure: Failure, model: str) -> Exception:
    """`error` as the litellm class of the status the provider returned (itself if it is one,
    or if no response proves the status)."""
    import litellm

    name = _STATUS_CLASSES.get(failure.status or 0)
    cls = getattr(litellm, name, None) if name else None
    response = next(
        (c.response for c in causes(error) if isinstance(c, httpx.HTTPStatusError)), None
    )
    if cls is None or isinstance(error, cls) or response is None:
        return error
    message = str(getattr(error, "message", "") or error)
    provider = str(getattr(error, "llm_provider", "") or "openai")
    return cls(message=message, model=model, llm_provider=provider, response=response)


def classified(
    endpoint: Callable[..., Awaitable[Any]], configured_retries: int
) -> Callable[..., Awaitable[Any]]:
    """`endpoint` (litellm.acompletion) with its failures classified for the Router."""

    async def attempt(*args: Any, **kwargs: Any) -> Any:
        try:
            return await endpoint(*args, **kwargs)
        except Exception as error:
            api_base = kwargs.get("api_base")
            failure = classify(error, api_base)
            raised = _as_status_class(error, failure, str(kwargs.get("model") or ""))
            raised.num_retries = failure.retries(configured_retries)  # type: ignore[attr-defined]
            down = _down.get()
            if failure.endpoint_down and down is not None:
                down.add(endpoint_of(str(kwargs.get("model") or ""), api_base))
            if raised is error:
                raise
            raise raised from error

    return attempt


@lru_cache(maxsize=1)
def host_class() -> type:
    """The Router host class (built on first use: importing litellm takes seconds)."""
    from litellm.router_python_host import PythonHost

    class AttemptHost(PythonHost):
        """litellm's host, with every completion attempt classified (see the module docstring)
        and sent directly when the endpoint speaks OpenAI's API (`transport.py`)."""

        __slots__ = ("on_failure", "retries")

        def __init__(self, retries: int, on_failure: Callable[[str, BaseException], None]) -> None:
            self.retries = retries
            self.on_failure = on_failure

        def invoke(self, op: str) -> Callable[..., Any]:
            endpoint = super().invoke(op)
            if op != "acompletion":
                return endpoint
            return classified(transport.direct(endpoint, self.on_failure), self.retries)

    return AttemptHost


def fallback_check(endpoints: Mapping[str, str]) -> Callable[..., Awaitable[bool]]:
    """A Router `fallback_access_check` that skips a fallback model whose endpoint (looked up
    in `endpoints`, model -> endpoint) already failed beyond repair during this call."""

    async def reachable(*, model: str, request_kwargs: Mapping[str, object], ctx: object) -> bool:
        down = _down.get()
        return not down or endpoints.get(model) not in down

    return reachable

"""API-key auth (X-API-Key) and a per-key rate limit (the `limits` library, moving window)."""

from __future__ import annotations

import hmac
import math
import time

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..infra.settings import get_settings

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def require_api_key(key: str | None = Security(api_key_header)) -> str:
    """The caller's API key, if it is one of the configured keys; 401 otherwise."""
    if key and any(hmac.compare_digest(key, known) for known in get_settings().api_key_list):
        return key
    raise HTTPException(status_code=401, detail="missing or invalid API key (X-API-Key header)")


class RateLimiter:
    """A moving-window limit per API key, in memory (use limits' Redis storage for replicas)."""

    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key: str) -> None:
        """Count one request for `key`; 429 with Retry-After when over the limit."""
        if self.limiter.hit(self.item, "agent", key):
            return
        reset_at = self.limiter.get_window_stats(self.item, "agent", key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            status_code=429,
            detail=f"rate limit exceeded ({self.item})",
            headers={"Retry-After": str(retry_after)},
        )


def rate_limited(request: Request, key: str = Depends(require_api_key)) -> str:
    """Auth, then the rate limit; the dependency every agent route uses."""
    request.app.state.rate_limiter.check(key)
    return key

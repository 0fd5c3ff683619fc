"""API-key auth (X-API-Key) and a per-key rate limit (moving window, in the shared state)."""

from __future__ import annotations

import hashlib
import hmac
import math

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse

from ..infra.settings import get_settings
from ..infra.state import get_state

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def require_api_key(key: str | None = Security(api_key_header)) -> str:
    """The caller's API key, if it is one of the configured keys; 401 otherwise."""
    if key and any(hmac.compare_digest(key, known) for known in get_settings().api_key_list):
        return key
    raise HTTPException(status_code=401, detail="missing or invalid API key (X-API-Key header)")


class RateLimiter:
    """A moving-window limit per caller, counted in the shared state store (every replica)."""

    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)

    async def check(self, caller: str) -> None:
        """Count one request for `caller`; 429 with Retry-After when over the limit."""
        allowed, retry_after = await get_state().rate_limit_hit(
            caller, self.item.amount, self.item.get_expiry()
        )
        if allowed:
            return
        raise HTTPException(
            status_code=429,
            detail=f"rate limit exceeded ({self.item})",
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )


def rate_limit_key(api_key: str) -> str:
    """What the limiter counts under: a digest of the key (keys never reach the store)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


async def rate_limited(request: Request, key: str = Depends(require_api_key)) -> str:
    """Auth, then the rate limit; the dependency every agent route uses."""
    await request.app.state.rate_limiter.check(rate_limit_key(key))
    return key

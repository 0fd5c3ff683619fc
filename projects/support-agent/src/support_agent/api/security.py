"""API-key auth (X-API-Key) with three roles, and a per-caller rate limit (shared state).

Roles are separate privileges, each with its own keys:
- client (`AGENT_API_KEYS`, `key` or `key:customer_id`): runs turns, reads its own sessions;
- operator (`AGENT_OPERATOR_KEYS`): a client that may also pick the prompt version and model;
- approver (`AGENT_APPROVER_KEYS`): lists, inspects, approves and rejects pending approvals,
  and nothing else.
An unknown key is 401; a known key of the wrong role is 403.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse

from ..infra.settings import Settings, get_settings
from ..infra.state import get_state
from ..tools.context import EVERY_CUSTOMER

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)

Role = Literal["client", "operator", "approver"]

# Keys shipped for local development; refused everywhere else.
DEFAULT_KEYS = frozenset({"dev-key", "dev-approver-key", "dev-operator-key"})
MIN_KEY_LENGTH = 16


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: never the key itself, only a short hash of it."""

    id: str
    role: Role
    # Whose data the tools may read for this caller (None: nobody, "*": every customer).
    customer_id: str | None

    def for_turn(self) -> dict[str, str | None]:
        """The turn request's `caller` entry (agents/entry.py)."""
        return {"id": self.id, "customer_id": self.customer_id}


def rate_limit_key(api_key: str) -> str:
    """A stable, non-reversible id for a key: the caller id in logs, audit records, session
    namespaces and the rate limiter (keys never reach the store)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _matches(key: str, known: list[str]) -> bool:
    # Compare with every key (no early exit), so timing says nothing about which matched.
    found = False
    for candidate in known:
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found


def identify(key: str | None, settings: Settings) -> Caller | None:
    """The caller a key belongs to, or None."""
    if not key:
        return None
    clients = settings.client_keys
    if _matches(key, list(clients)):
        return Caller(rate_limit_key(key), "client", clients.get(key))
    if _matches(key, settings.operator_key_list):
        return Caller(rate_limit_key(key), "operator", EVERY_CUSTOMER)
    if _matches(key, settings.approver_key_list):
        return Caller(rate_limit_key(key), "approver", None)
    return None


# The dependencies below are coroutines (they do no I/O): FastAPI runs a plain `def`
# dependency in a worker thread, a hop that costs more than the check itself.
async def require_api_key(key: str | None = Security(api_key_header)) -> Caller:
    """The caller behind a valid key of any role; 401 otherwise."""
    caller = identify(key, get_settings())
    if caller is None:
        raise HTTPException(status_code=401, detail="missing or invalid API key (X-API-Key header)")
    return caller


async def require_client(caller: Annotated[Caller, Depends(require_api_key)]) -> Caller:
    """A client or operator key; 403 for approver keys."""
    if caller.role == "approver":
        raise HTTPException(status_code=403, detail="approver keys cannot run the agent")
    return caller


async def require_approver(caller: Annotated[Caller, Depends(require_api_key)]) -> Caller:
    """An approver key; 403 for client and operator keys."""
    if caller.role != "approver":
        raise HTTPException(status_code=403, detail="approving needs an approver key")
    return caller


def key_problems(settings: Settings) -> list[str]:
    """Why these keys must not serve (empty when fine); the service refuses to start on any.

    Everywhere: a key may hold one role only. Outside development: client keys must be set,
    and no key may be a shipped default or shorter than 16 characters.
    """
    roles = {
        "AGENT_API_KEYS": list(settings.client_keys),
        "AGENT_OPERATOR_KEYS": settings.operator_key_list,
        "AGENT_APPROVER_KEYS": settings.approver_key_list,
    }
    problems = []
    names = list(roles)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            if set(roles[first]) & set(roles[second]):
                problems.append(f"a key is listed in both {first} and {second}")
    if settings.environment == "development":
        return problems
    if not roles["AGENT_API_KEYS"]:
        problems.append(f"AGENT_API_KEYS is empty (AGENT_ENVIRONMENT={settings.environment})")
    for name, keys in roles.items():
        if any(key in DEFAULT_KEYS for key in keys):
            problems.append(
                f"{name} contains a development default key "
                f"(AGENT_ENVIRONMENT={settings.environment})"
            )
        elif any(len(key) < MIN_KEY_LENGTH for key in keys):
            problems.append(f"{name} has a key shorter than {MIN_KEY_LENGTH} characters")
    return problems


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


async def rate_limited(
    request: Request, caller: Annotated[Caller, Depends(require_client)]
) -> Caller:
    """Client auth, then the rate limit; the dependency every agent route uses."""
    await request.app.state.rate_limiter.check(caller.id)
    return caller


async def approver_rate_limited(
    request: Request, caller: Annotated[Caller, Depends(require_approver)]
) -> Caller:
    """Approver auth, then the same per-caller rate limit; the approvals routes use it."""
    await request.app.state.rate_limiter.check(caller.id)
    return caller

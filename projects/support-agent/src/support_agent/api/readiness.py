"""Readiness checks: the model is reachable and the dependencies (memory, prompts) answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..agents import llm
from ..agents.prompts import load_prompts
from ..agents.routing import choose_target
from ..infra.settings import get_settings
from ..infra.state import get_state


async def check_memory() -> str:
    """The shared state store answers a query."""
    await get_state().ping()
    return f"{get_settings().state_url_resolved.split(':', 1)[0]} state store reachable"


async def check_prompts() -> str:
    """The prompt file parses and its current version exists."""
    prompts = load_prompts()
    return f"current prompt {prompts.current} ({len(prompts.versions)} versions)"


async def check_model() -> str:
    """Cheap by default: credentials present, or the OpenAI-compatible endpoint lists models."""
    settings = get_settings()
    mode = settings.readiness_model_check
    target = choose_target({}, "readiness", settings)
    if mode == "off":
        return "skipped (AGENT_READINESS_MODEL_CHECK=off)"
    if mode == "ping":
        router = llm.get_router(target)
        await router.acompletion(
            model=target.primary, messages=[{"role": "user", "content": "ping"}], max_tokens=1
        )
        return f"{target.primary} answered"
    if target.api_base:
        headers = {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}
        async with httpx.AsyncClient(timeout=settings.readiness_timeout_s) as client:
            response = await client.get(target.api_base.rstrip("/") + "/models", headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{target.api_base} answered HTTP {response.status_code}")
        return f"{target.api_base} reachable"
    env = llm.litellm_module().validate_environment(model=target.primary)
    if not env.get("keys_in_environment"):
        missing = ", ".join(env.get("missing_keys") or []) or "credentials"
        raise RuntimeError(f"{target.primary}: missing {missing}")
    return f"{target.primary} configured"


CHECKS: dict[str, Callable[[], Awaitable[str]]] = {
    "model": check_model,
    "memory": check_memory,
    "prompts": check_prompts,
}


async def run_checks() -> tuple[bool, dict[str, Any]]:
    """Run every check with a short timeout; (all ok, report per check)."""
    timeout = get_settings().readiness_timeout_s

    async def one(check: Callable[[], Awaitable[str]]) -> dict[str, Any]:
        try:
            async with asyncio.timeout(timeout):
                return {"ok": True, "detail": await check()}
        except TimeoutError:
            return {"ok": False, "detail": f"timed out after {timeout:g}s"}
        except Exception as error:
            return {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}

    results = await asyncio.gather(*(one(check) for check in CHECKS.values()))
    report = dict(zip(CHECKS, results, strict=True))
    return all(r["ok"] for r in results), report

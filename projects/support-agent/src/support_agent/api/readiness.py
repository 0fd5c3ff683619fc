"""Readiness: this pod can serve a turn at normal latency (warmed up, state store, prompts).

The shared model endpoint is checked in the background and reported (a field here, the
`agent_model_endpoint_up` gauge in /metrics) but never fails readiness: when it blips, every
pod would leave rotation at once and the fallbacks could not help anyone.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import stamina

from ..agents import llm
from ..agents.loop import estimate_tokens
from ..agents.prompts import load_prompts
from ..agents.routing import choose_target
from ..infra import metrics, tracing
from ..infra.logs import get_logger
from ..infra.settings import get_settings
from ..infra.state import get_state
from ..tools.shop import get_registry

log = get_logger("readiness")

# Texts the routing rule sends to the cheap and to the strong model, to warm both routers.
_ROUTING_SAMPLES = ("hi", "I want a refund for order 12345")


@dataclass
class PodStatus:
    """What this process knows about its own readiness (one per app)."""

    warmed: bool = False
    warmup_error: str | None = None
    warmup_s: float | None = None
    model: dict[str, Any] = field(default_factory=lambda: {"ok": None, "detail": "not checked yet"})


async def _import_litellm() -> str:
    # Importing litellm takes seconds of CPU; a worker thread keeps /healthz answering.
    module = await asyncio.to_thread(llm.litellm_module)
    return f"litellm {getattr(module, 'version', '') or ''}".strip()


async def _build_routers() -> str:
    settings = get_settings()
    targets = {choose_target({}, text, settings) for text in _ROUTING_SAMPLES}
    for target in targets:
        router = await asyncio.to_thread(llm.get_router, target)
        # One offline call (litellm's mock_response) loads the code paths a real call needs.
        await router.acompletion(
            model=target.primary,
            messages=[{"role": "user", "content": "warm-up"}],
            mock_response="ok",
        )
    return ", ".join(sorted(t.primary for t in targets))


async def _load_turn_parts() -> str:
    # The tokenizer (budget estimates), the tool registry and the tracer load on first use.
    settings = get_settings()
    models = sorted({choose_target({}, text, settings).primary for text in _ROUTING_SAMPLES})
    for model in models:
        await asyncio.to_thread(estimate_tokens, model, [{"role": "user", "content": "warm-up"}])
    registry = await asyncio.to_thread(get_registry)
    tracing.get_tracer()
    return f"tokenizer for {', '.join(models)}; {len(registry.tools)} tools"


async def _load_prompts() -> str:
    prompts = await asyncio.to_thread(load_prompts)
    return f"current prompt {prompts.current}"


async def _open_state() -> str:
    await get_state().ping()
    return "state store reachable"


# In order; tests replace entries to hold the warm-up at a step.
WARMUP_STEPS: dict[str, Callable[[], Awaitable[str]]] = {
    "litellm": _import_litellm,
    "routers": _build_routers,
    "turn_parts": _load_turn_parts,
    "prompts": _load_prompts,
    "state": _open_state,
}


async def warm_up(status: PodStatus) -> None:
    """Do at start-up what the first turn would otherwise pay for; then mark the pod warm."""
    started = time.perf_counter()
    for name, step in WARMUP_STEPS.items():
        # A dependency that starts after the pod (the state store) must not leave it unready
        # for good: a failing step is retried with backoff, its last error on /readiness.
        async for attempt in stamina.retry_context(
            on=Exception, attempts=None, timeout=None, wait_initial=0.5, wait_max=30.0
        ):
            with attempt:
                try:
                    detail = await step()
                except Exception as error:
                    status.warmup_error = f"{name}: {type(error).__name__}: {error}"[:300]
                    log.error("warmup_failed", step=name, error=status.warmup_error)
                    raise
        status.warmup_error = None
        log.info("warmup_step", step=name, detail=detail)
    # What start-up loaded lives as long as the process: spare later collections the walk.
    gc.freeze()
    status.warmup_s = time.perf_counter() - started
    status.warmed = True
    metrics.WARMUP_SECONDS.set(status.warmup_s)
    log.info("warmup_done", seconds=round(status.warmup_s, 3))


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


async def _checked(check: Callable[[], Awaitable[str]], timeout: float) -> dict[str, Any]:
    try:
        async with asyncio.timeout(timeout):
            return {"ok": True, "detail": await check()}
    except TimeoutError:
        return {"ok": False, "detail": f"timed out after {timeout:g}s"}
    except Exception as error:
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"[:300]}


async def watch_model(status: PodStatus) -> None:
    """Check the model endpoint now and every `model_check_interval_s` (runs until cancelled)."""
    settings = get_settings()
    # The checks use litellm: import it off the loop (or wait for the warm-up's import).
    await asyncio.to_thread(llm.litellm_module)
    while True:
        result = await _checked(check_model, settings.readiness_timeout_s)
        if result["ok"] != status.model.get("ok"):
            event = "model_endpoint_up" if result["ok"] else "model_endpoint_down"
            (log.info if result["ok"] else log.warning)(event, detail=result["detail"])
        status.model = {**result, "checked_at": time.time()}
        metrics.observe_model_endpoint(result["ok"])
        await asyncio.sleep(settings.model_check_interval_s)


async def run_checks(status: PodStatus) -> tuple[bool, dict[str, Any]]:
    """(ready, report): warm-up done, state store and prompts answer; the model is reported."""
    timeout = get_settings().readiness_timeout_s
    if status.warmed:
        warmup = {"ok": True, "detail": f"done in {status.warmup_s:.2f}s"}
    else:
        warmup = {"ok": False, "detail": status.warmup_error or "in progress"}
    state, prompts = await asyncio.gather(
        _checked(_open_state, timeout), _checked(_load_prompts, timeout)
    )
    report = {"warmup": warmup, "state": state, "prompts": prompts}
    ready = all(check["ok"] for check in report.values())
    report["model"] = {**status.model, "affects_readiness": False}
    metrics.READY.set(1 if ready else 0)
    return ready, report

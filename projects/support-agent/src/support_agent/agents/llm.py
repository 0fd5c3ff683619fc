"""Model calls through litellm's Router (retries with backoff, fallbacks, timeouts, cooldowns).

Each call gets one `chat <model>` span. Every failed attempt is added to it as a `retry`
event (attempt number and error type) by a litellm callback, and when a fallback model
answered, the span carries `workbench.fallback.from`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from ..infra import tracing
from ..infra.cache import ResponseCache, cache_key
from ..infra.logs import get_logger
from ..infra.settings import Settings, get_settings
from .routing import ModelTarget

log = get_logger("llm")


class LLMError(Exception):
    """Every model in the chain failed (after retries and fallbacks)."""


@lru_cache(maxsize=1)
def litellm_module() -> ModuleType:
    """litellm, with its bundled (offline) price map and no telemetry."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    _install_attempt_recorder(litellm)
    return litellm


@dataclass
class CallLog:
    """The attempts of one logical model call, written onto its span."""

    span: Any
    failures: list[str] = field(default_factory=list)

    def failed(self, model: str | None, error: BaseException | None) -> None:
        """Record a failed attempt as a `retry` event."""
        self.failures.append(model or "")
        attributes: dict[str, Any] = {
            tracing.RETRY_ATTEMPT: len(self.failures),
            "error.type": type(error).__name__ if error else "unknown",
        }
        if model:
            attributes[tracing.REQUEST_MODEL] = model
        status = getattr(error, "status_code", None)
        if isinstance(status, int):
            attributes["http.response.status_code"] = status
        self.span.add_event("retry", attributes)
        self.span.set_attribute(tracing.RETRY_ATTEMPT, len(self.failures))


CURRENT_CALL: ContextVar[CallLog | None] = ContextVar("current_llm_call", default=None)


def _install_attempt_recorder(litellm: ModuleType) -> None:
    from litellm.integrations.custom_logger import CustomLogger

    class AttemptRecorder(CustomLogger):
        """litellm awaits failure callbacks inline, per attempt, in the caller's context."""

        async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
            call = CURRENT_CALL.get()
            if call is not None:
                call.failed(kwargs.get("model"), kwargs.get("exception"))

    if not any(type(c).__name__ == "AttemptRecorder" for c in litellm.callbacks):
        litellm.callbacks.append(AttemptRecorder())


@dataclass
class LLMResult:
    """A model's answer, normalized so the loop does not depend on litellm's types."""

    content: str | None
    tool_calls: list[dict[str, Any]]
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False


_routers: dict[tuple[Any, ...], Any] = {}


def build_router(target: ModelTarget, settings: Settings) -> Any:
    """A Router over the target's models: retry transient errors only, then fall back."""
    litellm = litellm_module()
    from litellm.router import AllowedFailsPolicy, RetryPolicy

    retries = settings.llm_num_retries
    deployments = []
    for model in (target.primary, *target.fallbacks):
        params: dict[str, Any] = {"model": model, "timeout": settings.llm_timeout_s}
        if target.api_base:
            params["api_base"] = target.api_base
            params["api_key"] = target.api_key or "not-needed"
        elif target.api_key:
            params["api_key"] = target.api_key
        deployments.append({"model_name": model, "litellm_params": params})
    return litellm.Router(
        model_list=deployments,
        fallbacks=[{target.primary: list(target.fallbacks)}] if target.fallbacks else [],
        num_retries=retries,
        # Retry 429, 5xx, timeouts and connection errors with exponential backoff (honouring
        # Retry-After); never retry 400/401/403/404 or content-policy refusals.
        retry_policy=RetryPolicy(
            RateLimitErrorRetries=retries,
            TimeoutErrorRetries=retries,
            InternalServerErrorRetries=retries,
            ServiceUnavailableErrorRetries=retries,
            BadRequestErrorRetries=0,
            AuthenticationErrorRetries=0,
            ContentPolicyViolationErrorRetries=0,
            NotFoundErrorRetries=0,
        ),
        allowed_fails_policy=AllowedFailsPolicy(
            RateLimitErrorAllowedFails=settings.llm_allowed_fails,
            TimeoutErrorAllowedFails=settings.llm_allowed_fails,
            InternalServerErrorAllowedFails=settings.llm_allowed_fails,
            ServiceUnavailableErrorAllowedFails=settings.llm_allowed_fails,
            BadRequestErrorAllowedFails=1000,
        ),
        cooldown_time=settings.llm_cooldown_s,
        timeout=settings.llm_timeout_s,
    )


def get_router(target: ModelTarget) -> Any:
    """The long-lived router for a target (cooldowns only work if routers are reused)."""
    key = target.cache_key()
    if key not in _routers:
        _routers[key] = build_router(target, get_settings())
    return _routers[key]


def reset_routers() -> None:
    """Forget every router (tests, settings changes)."""
    _routers.clear()


def provider_of(model: str) -> str:
    """The provider litellm would use for `model` (`openai`, `anthropic`, ...)."""
    try:
        return litellm_module().get_llm_provider(model)[1]
    except Exception:
        return model.split("/", 1)[0] if "/" in model else "unknown"


def _cost(response: Any) -> float | None:
    try:
        return float(litellm_module().completion_cost(completion_response=response))
    except Exception:
        return None


def _answering_model(response: Any, target: ModelTarget) -> str:
    headers = (getattr(response, "_hidden_params", None) or {}).get("additional_headers") or {}
    group = headers.get("x-litellm-model-group")
    return group if group in (target.primary, *target.fallbacks) else target.primary


def _normalize(response: Any, target: ModelTarget) -> LLMResult:
    message = response.choices[0].message
    calls = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments or "{}"}
        for c in (getattr(message, "tool_calls", None) or [])
    ]
    usage = getattr(response, "usage", None)
    details = getattr(usage, "prompt_tokens_details", None)
    return LLMResult(
        content=message.content,
        tool_calls=calls,
        model=_answering_model(response, target),
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cached_input_tokens=int(getattr(details, "cached_tokens", 0) or 0),
        cost_usd=_cost(response) or 0.0,
    )


async def complete(
    target: ModelTarget,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    params: dict[str, Any],
    cache: ResponseCache | None = None,
) -> LLMResult:
    """One logical model call (retries and fallbacks included) under a `chat <model>` span."""
    attributes = {
        tracing.OPERATION: "chat",
        tracing.PROVIDER: provider_of(target.primary),
        tracing.REQUEST_MODEL: target.primary,
    }
    for name in ("temperature", "max_tokens", "top_p"):
        if isinstance(params.get(name), int | float):
            attributes[f"gen_ai.request.{name}"] = params[name]
    with tracing.get_tracer().start_as_current_span(
        f"chat {target.primary}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        key = None
        if cache is not None:
            tool_names = [t["function"]["name"] for t in tools]
            key = cache_key(target.primary, messages, tool_names, params)
            hit = cache.get(key)
            if hit is not None:
                result = LLMResult(
                    **{
                        **hit,
                        "cache_hit": True,
                        "input_tokens": 0,
                        "output_tokens": 0,
                        "cost_usd": 0.0,
                    }
                )
                span.set_attributes(
                    {
                        "workbench.cache.hit": True,
                        tracing.RESPONSE_MODEL: result.model,
                        tracing.INPUT_TOKENS: 0,
                        tracing.OUTPUT_TOKENS: 0,
                    }
                )
                return result
        call = CallLog(span)
        token = CURRENT_CALL.set(call)
        try:
            response = await get_router(target).acompletion(
                model=target.primary, messages=messages, tools=tools or None, **params
            )
        except Exception as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, tracing.one_line(error)))
            log.error(
                "llm_failed",
                model=target.primary,
                error=tracing.one_line(error),
                attempts=len(call.failures),
            )
            raise LLMError(f"model unavailable: {tracing.one_line(error)}") from error
        finally:
            CURRENT_CALL.reset(token)
        result = _normalize(response, target)
        span.set_attributes(
            {
                tracing.RESPONSE_MODEL: getattr(response, "model", None) or result.model,
                tracing.INPUT_TOKENS: result.input_tokens,
                tracing.OUTPUT_TOKENS: result.output_tokens,
                tracing.CACHED_INPUT_TOKENS: result.cached_input_tokens,
                tracing.COST_USD: result.cost_usd,
                "workbench.llm.attempts": len(call.failures) + 1,
                "workbench.cache.hit": False,
            }
        )
        if result.model != target.primary:
            span.set_attribute(tracing.FALLBACK_FROM, target.primary)
            span.add_event(
                "fallback",
                {"workbench.fallback.from": target.primary, "workbench.fallback.to": result.model},
            )
            log.warning("llm_fallback", fallback_from=target.primary, fallback_to=result.model)
        if key is not None and cache is not None and not result.tool_calls:
            cache.put(key, {k: v for k, v in result.__dict__.items() if k != "cache_hit"})
        return result

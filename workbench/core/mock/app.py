"""The mock's OpenAI-compatible HTTP API (Starlette): chat completions, models, health."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from workbench.core.mock import openai_format as wire
from workbench.core.mock.cassettes import request_hash
from workbench.core.mock.engine import decide
from workbench.core.mock.faults import plan_for
from workbench.core.mock.schema import Fault
from workbench.core.mock.state import MockState
from workbench.core.mock.upstream import UpstreamError, forward
from workbench.core.mock.usage import usage_for
from workbench.errors import ConfigError

SOURCE_HEADER = "x-workbench-model-source"


def error(status: int, message: str, headers: dict | None = None, code: str | None = None):
    """An OpenAI-style JSON error response."""
    return JSONResponse(wire.error_body(status, message, code), status_code=status, headers=headers)


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: answer from rules or cassettes, maybe late, maybe failing."""
    state: MockState = request.app.state.mock
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "request body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return error(400, "`messages` must be a list of chat messages")
    if not body["messages"]:
        return error(400, "`messages` must not be empty")
    options = state.options
    key = request_hash(body)
    occurrence = state.occurrence(key)
    headers = {"x-workbench-request-hash": key}
    decision = None
    if options.mode == "rules":
        try:
            book = state.rules()
        except ConfigError as problem:
            return error(400, f"invalid mock rules: {problem}", code="invalid_mock_rules")
        decision = decide(book, body, key, options.overrides.seed)
        headers["x-workbench-mock-rule"] = decision.rule_id
    plan = plan_for(decision.rule if decision else None, key, occurrence, options.overrides)
    if plan.latency_ms and not await state.sleep(plan.latency_ms / 1000):
        return error(503, "mock is shutting down")
    fault = plan.fault
    if fault is not None and fault.kind in ("status", "timeout"):
        return await _fault_before_answer(request, state, fault, headers)
    try:
        result, source = await _answer(state, body, key, decision)
    except UpstreamError as problem:
        return error(problem.status, problem.message, headers)
    except LookupError as miss:
        state.missed(key)
        return error(404, str(miss), headers, code="cassette_miss")
    headers[SOURCE_HEADER] = source
    stream = bool(body.get("stream"))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    if fault is not None:
        return _broken(result, fault, stream, include_usage, headers)
    if stream:
        return _stream(wire.stream_chunks(result, include_usage=include_usage), headers, done=True)
    return JSONResponse(result, headers=headers)


async def _answer(state: MockState, body: dict, key: str, decision) -> tuple[dict, str]:
    options = state.options
    if options.mode == "rules":
        usage = usage_for(options.priced_as, body, decision.message, decision.usage)
        result = wire.completion(
            id=f"chatcmpl-{key[:24]}",
            model=options.priced_as,
            message=decision.message,
            finish_reason=decision.finish_reason,
            usage=usage,
        )
        return result, "mock"
    if options.mode in ("replay", "passthrough"):
        recorded = state.store.load(key)
        if recorded is not None:
            return recorded, "replay"
        if options.mode == "replay":
            raise LookupError(
                f"no cassette for request {key} in {options.cassette_dir} (strict replay); "
                "record it with --mode record or use --mode passthrough"
            )
    upstream = options.upstream
    if upstream is None:  # mock_options refuses record and passthrough without one
        raise UpstreamError(500, f"mode {options.mode!r} has no upstream model to forward to")
    result = await forward(upstream, body)
    secrets = (upstream.api_key,) if upstream.api_key else ()
    state.store.save(key, body, result, upstream=upstream.model, secrets=secrets)
    return state.store.load(key) or result, "record"


async def _fault_before_answer(
    request: Request, state: MockState, fault: Fault, headers: dict
) -> Response:
    if fault.kind == "timeout":
        deadline = time.monotonic() + fault.hang_s
        while time.monotonic() < deadline and not state.stopping.is_set():
            if await request.is_disconnected():
                break
            await state.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return error(504, "mock: injected timeout", headers, code="timeout")
    status = fault.status
    retry_after = (
        fault.retry_after if fault.retry_after is not None else (1 if status == 429 else None)
    )
    if retry_after is not None:
        headers["retry-after"] = str(max(0, int(-(-retry_after // 1))))
        headers["retry-after-ms"] = str(int(retry_after * 1000))
    message = fault.message or f"mock: injected HTTP {status}"
    return error(status, message, headers)


def _broken(result: dict, fault: Fault, stream: bool, include_usage: bool, headers: dict):
    if not stream:
        text = json.dumps(result)
        if fault.kind == "truncated" and fault.abort:
            return _Aborted(
                [text[: len(text) // 2].encode()], headers, "application/json", len(text)
            )
        return Response(text[: len(text) // 2], media_type="application/json", headers=headers)
    chunks = wire.stream_chunks(result, include_usage=include_usage)
    if fault.kind == "malformed":
        broken = json.dumps(chunks[1] if len(chunks) > 1 else chunks[0])
        return _stream([chunks[0], broken[: len(broken) // 2]], headers, done=True)
    keep = fault.after_chunks if fault.after_chunks is not None else len(chunks) // 2
    keep = max(1, min(keep, len(chunks) - 2))  # never the finish chunk
    if fault.abort:
        return _Aborted([wire.sse(chunk) for chunk in chunks[:keep]], headers, "text/event-stream")
    return _stream(chunks[:keep], headers, done=False)


def _stream(chunks: Sequence[dict | str], headers: dict, *, done: bool) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield wire.sse(chunk)
            await asyncio.sleep(0)
        if done:
            yield wire.sse("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


class _Aborted(Response):
    """A response that sends part of its body and then drops the connection."""

    def __init__(self, parts: list[bytes], headers: dict, media_type: str, length: int = 0):
        self.parts, self.extra, self.kind, self.length = parts, headers, media_type, length

    async def __call__(self, scope, receive, send) -> None:
        raw = [(k.encode(), v.encode()) for k, v in self.extra.items()]
        raw.append((b"content-type", self.kind.encode()))
        if self.length:
            raw.append((b"content-length", str(self.length).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        for part in self.parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        # Returning without the final body message makes the server close the connection.


async def models(request: Request) -> Response:
    """``GET /v1/models``: the priced-as model (and the upstream model when recording)."""
    options = request.app.state.mock.options
    names = [options.priced_as]
    if options.upstream is not None:
        names.append(options.upstream.model)
    data = [{"id": n, "object": "model", "created": 0, "owned_by": "workbench-mock"} for n in names]
    return JSONResponse({"object": "list", "data": data})


async def healthz(request: Request) -> Response:
    """``GET /healthz``: liveness, the mode and how many rules are loaded."""
    state: MockState = request.app.state.mock
    try:
        rules: Any = len(state.rules())
    except ConfigError as problem:
        rules = str(problem)
    return JSONResponse(
        {"status": "ok", "mode": state.options.mode, "rules": rules, "calls": state.calls}
    )


def create_app(state: MockState) -> Starlette:
    """The Starlette app serving ``state``."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.bind(asyncio.get_running_loop())
        yield

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/models", models, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.mock = state
    return app

"""The mock's OpenAI-compatible HTTP API (Starlette): chat, responses, embeddings, models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from workbench.core.mock import catalog, embeddings
from workbench.core.mock import openai_format as wire
from workbench.core.mock.api_errors import ApiError
from workbench.core.mock.loader import RuleBook
from workbench.core.mock.pipeline import SOURCE_HEADER, api_error, json_body, resolve
from workbench.core.mock.responses_route import responses
from workbench.core.mock.schema import Fault
from workbench.core.mock.state import MockState
from workbench.core.mock.validation import validate_chat
from workbench.errors import ConfigError

__all__ = ["SOURCE_HEADER", "create_app"]


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: answer from rules or cassettes, maybe late, maybe failing."""
    state: MockState = request.app.state.mock
    try:
        body = await json_body(request)
        validate_chat(body)
    except ApiError as problem:
        return api_error(problem)
    assert isinstance(body, dict)
    outcome = await resolve(request, state, body)
    if outcome.response is not None:
        return outcome.response
    assert outcome.result is not None
    result, headers, fault = outcome.result, outcome.headers, outcome.fault
    stream = bool(body.get("stream"))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    if fault is not None:
        return _broken(result, fault, stream, include_usage, headers)
    if stream:
        return _stream(wire.stream_chunks(result, include_usage=include_usage), headers, done=True)
    return JSONResponse(result, headers=headers)


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


def _book(state: MockState) -> RuleBook:
    try:
        return state.rules()
    except ConfigError:
        return RuleBook()


def _served(state: MockState) -> list[str]:
    options = state.options
    names = catalog.listed(options.priced_as, options.models, _book(state))
    if options.upstream is not None:
        names.append(options.upstream.model)
    return list(dict.fromkeys(names))


async def models(request: Request) -> Response:
    """``GET /v1/models``: every model the mock serves (rules mode), or the recorded ones."""
    data = [catalog.model_object(name) for name in _served(request.app.state.mock)]
    return JSONResponse({"object": "list", "data": data})


async def model_detail(request: Request) -> Response:
    """``GET /v1/models/{id}``: one served model, or the API's 404."""
    state: MockState = request.app.state.mock
    name = request.path_params["model"]
    options = state.options
    if name not in _served(state):
        try:
            catalog.check_served(name, options.priced_as, options.models, _book(state))
        except ApiError as problem:
            return api_error(problem)
    return JSONResponse(catalog.model_object(name))


async def create_embeddings(request: Request) -> Response:
    """``POST /v1/embeddings``: deterministic vectors (see ``embeddings``)."""
    state: MockState = request.app.state.mock
    options = state.options
    try:
        body = await json_body(request)
        result = embeddings.create(body, options.priced_as)
        if options.mode == "rules":
            catalog.check_served(result["model"], options.priced_as, options.models, _book(state))
            catalog.check_embeddable(result["model"], options.priced_as, options.models)
    except ApiError as problem:
        return api_error(problem)
    return JSONResponse(result, headers={SOURCE_HEADER: "mock"})


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

    routes = []
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/chat/completions", chat_completions, methods=["POST"]),
            Route(f"{prefix}/responses", responses, methods=["POST"]),
            Route(f"{prefix}/embeddings", create_embeddings, methods=["POST"]),
            Route(f"{prefix}/models", models, methods=["GET"]),
            Route(f"{prefix}/models/{{model:path}}", model_detail, methods=["GET"]),
        ]
    routes.append(Route("/healthz", healthz, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.mock = state
    return app

"""The FastAPI service: /healthz, /readiness, /agent/run, /agent/stream and approvals."""

from __future__ import annotations

import asyncio
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.datastructures import Headers, MutableHeaders

from ..agents.entry import run_turn
from ..infra import guardrails, metrics, tracing
from ..infra.logs import bind_ids, clear_ids, configure_logging, get_logger
from ..infra.settings import get_settings
from ..infra.state import close_state, get_state
from ..tools.shop import get_registry
from . import approvals, sessions
from .body_limit import BodySizeLimit
from .readiness import PodStatus, run_checks, warm_up, watch_model
from .schemas import Feedback, RunRequest, RunResponse
from .security import Caller, RateLimiter, key_problems, rate_limited
from .turns import http_status, turn_request

log = get_logger("api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to start with unsafe keys (security.key_problems); then warm up."""
    settings = get_settings()
    configure_logging(settings.log_level)
    problems = key_problems(settings)
    if problems:
        # One JSON line saying why, then the failure that stops the server.
        log.error("refusing_to_start", environment=settings.environment, problems=problems)
        raise RuntimeError("refusing to start: " + "; ".join(problems))
    log.info("service_started", environment=settings.environment)
    # Warm-up runs beside the server, so /healthz answers while /readiness says 503 until a
    # turn can be served at normal latency; the model endpoint is watched, never awaited.
    status = app.state.pod = PodStatus()
    tasks = [asyncio.create_task(warm_up(status)), asyncio.create_task(watch_model(status))]
    metrics.watch_breakers(
        lambda: ((name, b.current_state) for name, b in get_registry().breakers.items())
    )
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Release the state store's connections (a Redis pool) with the loop that made them.
        await close_state()


class RequestIds:
    """Pure ASGI middleware: each request's id (the client's X-Request-ID, else a new one) on
    `request.state.request_id`, on every log line of the request and on the response.

    Pure ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the
    rest of the app in a second task and pipes the response through a memory stream, on
    every request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Bind the id, then add it to the response's headers as they go out."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("X-Request-ID") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        clear_ids()
        bind_ids(request_id=request_id)

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, sending)


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


KEEPALIVE = ": keepalive\n\n"


def create_app() -> FastAPI:
    """Build the service (tests build a fresh one per settings)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    # The API's map (/docs, /redoc, /openapi.json) is for development only.
    docs = settings.environment == "development"
    app = FastAPI(
        title=settings.project.name,
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.add_middleware(metrics.HTTPMetrics)
    app.add_middleware(RequestIds)
    app.state.rate_limiter = RateLimiter(settings.rate_limit)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up and serving."""
        return {"status": "ok"}

    @app.get("/readiness")
    async def readiness(request: Request) -> JSONResponse:
        """Readiness: warmed up, state store and prompts usable; the model is only reported."""
        ready, checks = await run_checks(request.app.state.pod)
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready"}
        if get_settings().environment == "development":
            body |= {"checks": checks, "features": get_settings().features.model_dump()}
        elif not ready:
            log.warning("not_ready", checks=checks)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format; open unless AGENT_METRICS_TOKEN is set (see RUNBOOK.md)."""
        token = get_settings().metrics_token
        if token and not hmac.compare_digest(
            request.headers.get("Authorization", ""), f"Bearer {token}"
        ):
            raise HTTPException(status_code=401, detail="metrics need the bearer token")
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    @app.post(
        "/agent/run",
        response_model=RunResponse,
        responses={code: {"model": RunResponse} for code in (202, 422, 429, 500, 502, 503, 504)},
    )
    async def run(
        body: RunRequest, request: Request, caller: Annotated[Caller, Depends(rate_limited)]
    ) -> JSONResponse:
        """Run one turn; the status code says how it ended (turns.http_status)."""
        turn = turn_request(body, request, caller, get_settings())
        result = await run_turn(turn, wait_for_trace=False)
        code, headers = http_status(result)
        content = RunResponse.model_validate(result).model_dump()
        return JSONResponse(content, status_code=code, headers=headers)

    @app.post("/agent/stream")
    async def stream(
        body: RunRequest, request: Request, caller: Annotated[Caller, Depends(rate_limited)]
    ) -> StreamingResponse:
        """Run one turn, streaming progress and the answer as server-sent events."""
        turn = turn_request(body, request, caller, get_settings())
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

        streamed = False

        async def sink(kind: str, data: dict[str, Any]) -> None:
            nonlocal streamed
            streamed = streamed or kind == "delta"
            await queue.put((kind, data))

        async def produce() -> None:
            try:
                result = await run_turn(turn, sink, wait_for_trace=False)
                if not streamed and result.get("output"):
                    # A refusal, a budget or approval message: no model text was streamed.
                    await queue.put(("delta", {"text": result["output"]}))
                await queue.put(("result", result))
            except Exception:
                # The client learns that the turn failed and its request id; the why (which
                # may name internals) goes to the logs.
                log.exception("stream_failed")
                metrics.ERRORS.labels("stream", "turn_failed").inc()
                error = {"error": "internal error", "request_id": request.state.request_id}
                await queue.put(("error", error))
            finally:
                await queue.put(None)

        async def events() -> AsyncIterator[str]:
            task = asyncio.create_task(produce())
            keepalive = get_settings().stream_keepalive_s
            try:
                while True:
                    try:
                        item = await asyncio.wait_for(queue.get(), keepalive)
                    except TimeoutError:
                        yield KEEPALIVE
                        continue
                    if item is None:
                        break
                    yield _sse(*item)
            finally:
                if not task.done():
                    task.cancel()
                    metrics.ERRORS.labels("stream", "client_disconnected").inc()

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    app.include_router(approvals.router)
    app.include_router(sessions.router)

    @app.post("/feedback", status_code=202)
    async def feedback(
        body: Feedback, request: Request, caller: Annotated[Caller, Depends(rate_limited)]
    ) -> dict:
        """Users report a bad answer; kept in the store, logged and traced for review."""
        if not body.trace_id and not body.session_id:
            raise HTTPException(status_code=422, detail="give a trace_id or a session_id")
        report = body.model_dump()
        report["comment"] = guardrails.redact_pii(body.comment).text
        report["request_id"] = request.state.request_id
        # Sessions are per caller: the reviewer finds this one under "<caller_id>:<session_id>".
        report["caller_id"] = caller.id
        await get_state().add_feedback(report)
        with tracing.span("user_feedback", {"workbench.feedback.rating": body.rating}) as span:
            if body.trace_id:
                span.set_attribute("workbench.feedback.trace_id", body.trace_id)
            if body.session_id:
                span.set_attribute(tracing.CONVERSATION_ID, body.session_id)
        log.warning("user_feedback", trace_id=body.trace_id, rating=body.rating)
        return {"status": "received"}

    # Added last, so it is the outermost middleware: nothing runs for an oversized body.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()

"""The FastAPI service: /healthz, /readiness, /agent/run, /agent/stream and approvals."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..agents.entry import run_turn
from ..infra import guardrails, tracing
from ..infra.logs import bind_ids, clear_ids, configure_logging, get_logger
from ..infra.settings import get_settings
from ..infra.state import get_state
from ..infra.tracing import one_line
from ..tools.shop import get_registry
from .readiness import run_checks
from .schemas import Feedback, RunRequest, RunResponse
from .security import RateLimiter, rate_limited

log = get_logger("api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to start in production with the development API key."""
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.environment == "production" and "dev-key" in settings.api_key_list:
        raise RuntimeError("AGENT_API_KEYS still contains the development key 'dev-key'")
    log.info("service_started", environment=settings.environment)
    yield


def _turn_request(body: RunRequest, request: Request) -> dict[str, Any]:
    return {
        "input": body.input,
        "session_id": body.session_id,
        "prompt_version": body.prompt_version,
        "request_id": request.state.request_id,
    }


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def create_app() -> FastAPI:
    """Build the service (tests build a fresh one per settings)."""
    settings = get_settings()
    app = FastAPI(title=settings.project.name, version="0.1.0", lifespan=lifespan)
    app.state.rate_limiter = RateLimiter(settings.rate_limit)

    @app.middleware("http")
    async def request_ids(request: Request, call_next: Any) -> Any:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.state.request_id = request_id
        clear_ids()
        bind_ids(request_id=request_id)
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up and serving."""
        return {"status": "ok"}

    @app.get("/readiness")
    async def readiness() -> JSONResponse:
        """Readiness: model reachable, memory and prompts usable; 503 with details otherwise."""
        ready, checks = await run_checks()
        body = {
            "status": "ready" if ready else "not_ready",
            "checks": checks,
            "features": get_settings().features.model_dump(),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.post("/agent/run", response_model=RunResponse)
    async def run(body: RunRequest, request: Request, _: str = Depends(rate_limited)) -> Any:
        """Run one turn and return its result."""
        return await run_turn(_turn_request(body, request), wait_for_trace=False)

    @app.post("/agent/stream")
    async def stream(
        body: RunRequest, request: Request, _: str = Depends(rate_limited)
    ) -> StreamingResponse:
        """Run one turn, streaming progress and the answer as server-sent events."""
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

        async def sink(kind: str, data: dict[str, Any]) -> None:
            await queue.put((kind, data))

        async def produce() -> None:
            try:
                result = await run_turn(_turn_request(body, request), sink, wait_for_trace=False)
                await queue.put(("result", result))
            except Exception as error:
                await queue.put(("error", {"error": one_line(error)}))
            finally:
                await queue.put(None)

        async def events() -> AsyncIterator[str]:
            task = asyncio.create_task(produce())
            try:
                while (item := await queue.get()) is not None:
                    kind, data = item
                    if kind == "result":
                        words = data["output"].split(" ")
                        for start in range(0, len(words), 8):
                            yield _sse("delta", {"text": " ".join(words[start : start + 8]) + " "})
                    yield _sse(kind, data)
            finally:
                if not task.done():
                    task.cancel()

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @app.post("/agent/approvals/{approval_id}")
    async def approve(approval_id: str, _: str = Depends(rate_limited)) -> dict[str, Any]:
        """A person approves a pending high-risk tool call; it runs now."""
        try:
            outcome = await get_registry().approve(approval_id)
        except KeyError:
            raise HTTPException(status_code=404, detail="no such pending approval") from None
        return outcome.record()

    @app.post("/feedback", status_code=202)
    async def feedback(body: Feedback, request: Request, _: str = Depends(rate_limited)) -> dict:
        """Users report a bad answer; kept in the store, logged and traced for review."""
        if not body.trace_id and not body.session_id:
            raise HTTPException(status_code=422, detail="give a trace_id or a session_id")
        report = body.model_dump()
        report["comment"] = guardrails.redact_pii(body.comment).text
        report["request_id"] = request.state.request_id
        await get_state().add_feedback(report)
        with tracing.span("user_feedback", {"workbench.feedback.rating": body.rating}) as span:
            if body.trace_id:
                span.set_attribute("workbench.feedback.trace_id", body.trace_id)
            if body.session_id:
                span.set_attribute(tracing.CONVERSATION_ID, body.session_id)
        log.warning("user_feedback", trace_id=body.trace_id, rating=body.rating)
        return {"status": "received"}

    return app


app = create_app()

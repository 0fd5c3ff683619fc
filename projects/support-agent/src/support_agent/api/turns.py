"""From an HTTP request to a turn request, and from a turn result to an HTTP status.

The input boundary lives here: who may pick the prompt version or the model, whether a
client may send its own conversation history, and which status code each outcome gets.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from ..infra.settings import Settings
from .schemas import RunRequest
from .security import Caller

# A failed turn is not a success: monitoring and clients read the status code.
FAILURE_STATUS = {
    "bad_request": 400,
    "blocked": 422,
    "budget": 429,
    "model": 502,
    "model_unavailable": 503,
    "timeout": 504,
    "error": 500,
}


def turn_request(
    body: RunRequest, request: Request, caller: Caller, settings: Settings
) -> dict[str, Any]:
    """The turn request for `run_turn`, after the boundary checks (HTTPException on refusal)."""
    overrides = [name for name in ("prompt_version", "model") if getattr(body, name)]
    if overrides and settings.environment != "development" and caller.role != "operator":
        raise HTTPException(
            status_code=403,
            detail=f"only operator keys may set {' and '.join(overrides)} "
            f"(AGENT_ENVIRONMENT={settings.environment})",
        )
    if isinstance(body.input, list) and not settings.accept_client_history:
        raise HTTPException(
            status_code=422,
            detail="input must be a string: the service keeps each session's history "
            "(send session_id; AGENT_ACCEPT_CLIENT_HISTORY=true accepts a conversation)",
        )
    turn: dict[str, Any] = {
        "input": body.input,
        "session_id": body.session_id,
        "request_id": request.state.request_id,
        "idempotency_key": request.headers.get("Idempotency-Key") or request.state.request_id,
        "caller": caller.for_turn(),
    }
    if body.prompt_version:
        turn["prompt_version"] = body.prompt_version
    if body.model:
        turn["model"] = body.model
    return turn


def http_status(result: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """(status code, extra headers) for a turn result; the body stays the whole result."""
    if result.get("status") == "pending_approval":
        return 202, {}
    failure = result.get("failure")
    if failure is None and result.get("status") == "ok":
        return 200, {}
    code = FAILURE_STATUS.get(failure or "error", 500)
    headers = {}
    if code == 429 and result.get("retry_after_s"):
        headers["Retry-After"] = str(result["retry_after_s"])
    return code, headers

"""``POST /v1/responses``: the Responses API over the chat pipeline, plain or streamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from workbench.core.mock import openai_format as wire
from workbench.core.mock import responses_api, responses_stream
from workbench.core.mock.api_errors import ApiError
from workbench.core.mock.limits import check_output_limit
from workbench.core.mock.pipeline import api_error, json_body, resolve
from workbench.core.mock.state import MockState
from workbench.core.mock.validation import validate_chat


async def responses(request: Request) -> Response:
    """Convert, answer through the chat pipeline, convert back (status and timeout faults too)."""
    state: MockState = request.app.state.mock
    store: responses_api.ResponseStore = state.responses
    try:
        body = await json_body(request)
        chat = responses_api.to_chat(body, store)
        _validate(chat, state.options.priced_as if state.options.mode == "rules" else None)
    except ApiError as problem:
        return api_error(problem)
    assert isinstance(body, dict)
    chat.pop("stream", None)
    outcome = await resolve(request, state, chat)
    if outcome.response is not None:
        return outcome.response
    assert outcome.result is not None
    response_id = "resp_" + outcome.headers["x-workbench-request-hash"]
    answer = responses_api.to_response(outcome.result, body, chat, response_id)
    store.save(response_id, responses_api.conversation(chat, answer))
    if body.get("stream"):
        return StreamingResponse(
            _events(responses_stream.events(answer)),
            media_type="text/event-stream",
            headers=outcome.headers,
        )
    return JSONResponse(answer, headers=outcome.headers)


def _validate(chat: dict, priced_as: str | None) -> None:
    try:
        validate_chat(chat)
        if priced_as is not None:
            check_output_limit(chat, priced_as)
    except ApiError as problem:
        if problem.param == "max_completion_tokens":
            problem.message = problem.message.replace(problem.param, "max_output_tokens")
        problem.param = responses_api.chat_param(problem.param)
        if problem.param and "'" in problem.message:
            problem.message = _renamed(problem.message)
        raise


def _renamed(message: str) -> str:
    for chat, name in responses_api.PARAM_NAMES.items():
        message = message.replace(f"'{chat}", f"'{name}")
    return message


async def _events(events: list[dict]) -> AsyncIterator[bytes]:
    for event in events:
        yield wire.sse_event(event["type"], event)
        await asyncio.sleep(0)

"""One chat request from body to answer: validation, model check, rules or cassettes, faults.

Shared by ``/v1/chat/completions`` and ``/v1/responses`` (which converts its request into a
chat body first).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workbench.core.mock import catalog
from workbench.core.mock.api_errors import ApiError, error_body
from workbench.core.mock.cassettes import request_hash
from workbench.core.mock.chat import answer, first_decision
from workbench.core.mock.faults import plan_for
from workbench.core.mock.limits import check_output_limit
from workbench.core.mock.schema import Fault
from workbench.core.mock.state import MockState
from workbench.core.mock.upstream import UpstreamError, forward
from workbench.errors import ConfigError

SOURCE_HEADER = "x-workbench-model-source"


def error(status: int, message: str, headers: dict | None = None, code: str | None = None):
    """An OpenAI-style JSON error response."""
    body = error_body(status, message, code)
    # Faults and forwarding errors carry a code even where the API leaves it null, so a
    # client (or a test) can tell them apart.
    body["error"]["code"] = code or body["error"]["type"]
    return JSONResponse(body, status_code=status, headers=headers)


def api_error(problem: ApiError, headers: dict | None = None) -> JSONResponse:
    """The response for a request the API would refuse."""
    return JSONResponse(problem.body(), status_code=problem.status, headers=headers)


async def json_body(request: Request) -> object:
    """The request's JSON body; a 400 ``ApiError`` when it is not JSON."""
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError("request body is not valid JSON", code="invalid_json") from None


@dataclass
class Outcome:
    """A chat answer (or the response that replaces it) with its headers and fault."""

    result: dict | None = None
    response: Response | None = None
    headers: dict = field(default_factory=dict)
    fault: Fault | None = None


async def resolve(request: Request, state: MockState, body: dict) -> Outcome:
    """Answer a valid chat body: from rules, cassettes or the upstream; maybe late or failing."""
    options = state.options
    key = request_hash(body)
    occurrence = state.occurrence(key)
    headers = {"x-workbench-request-hash": key}
    decision = book = None
    if options.mode == "rules":
        try:
            book = state.rules()
        except ConfigError as problem:
            message = f"invalid mock rules: {problem}"
            return Outcome(response=error(400, message, code="invalid_mock_rules"))
        try:
            catalog.check_served(body["model"], options.priced_as, options.models, book)
            check_output_limit(body, options.priced_as)
        except ApiError as problem:
            return Outcome(response=api_error(problem, headers))
        decision = first_decision(book, body, key, options.overrides.seed)
        headers["x-workbench-mock-rule"] = decision.rule_id
    plan = plan_for(decision.rule if decision else None, key, occurrence, options.overrides)
    if plan.latency_ms and not await state.sleep(plan.latency_ms / 1000):
        return Outcome(response=error(503, "mock is shutting down"))
    fault = plan.fault
    if fault is not None and fault.kind in ("status", "timeout"):
        return Outcome(response=await _fault_before_answer(request, state, fault, headers))
    try:
        if decision is not None and book is not None:
            result = answer(
                book,
                body,
                key,
                mock_seed=options.overrides.seed,
                priced_as=options.priced_as,
                first=decision,
            ).body
            source = "mock"
        else:
            result, source = await _recorded(state, body, key)
    except UpstreamError as problem:
        return Outcome(response=error(problem.status, problem.message, headers))
    except LookupError as miss:
        state.missed(key)
        return Outcome(response=error(404, str(miss), headers, code="cassette_miss"))
    headers[SOURCE_HEADER] = source
    return Outcome(result=result, headers=headers, fault=fault)


async def _recorded(state: MockState, body: dict, key: str) -> tuple[dict, str]:
    options = state.options
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

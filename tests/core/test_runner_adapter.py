"""The adapter contract: foreign functions and HTTP endpoints served as workbench turns."""

from __future__ import annotations

import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from workbench.core.projects import open_project
from workbench.core.runner import WorkerPool
from workbench.core.runner.adapter import SessionHistory, adapter_request, binder
from workbench.core.runner.http_adapter import get_path, put_path
from workbench.core.runner.stack import wait_for_trace
from workbench.store.db import connect
from workbench.store.traces import get_trace

AGENT = '''
"""A foreign agent: knows nothing about the workbench."""


def reply(question, history=None, *, model="gpt-4o-mini", base_url=None):
    if question == "raise":
        raise ValueError("boom")
    if question == "list":
        return ["not", "a", "reply"]
    return f"{len(history or [])}:{question}:{model}:{base_url}"
'''


@pytest.fixture(autouse=True)
def no_preload(monkeypatch):
    """The fake agents do not use litellm: do not pay seconds to import it in each child."""
    monkeypatch.setenv("WORKBENCH_RUNNER_PRELOAD", "")


def _project(root: Path, agent: str) -> Path:
    (root / "foreign.py").write_text(AGENT)
    (root / "workbench.toml").write_text(
        textwrap.dedent(
            f"""
            [project]
            name = "foreign"
            package = "foreign"
            kind = "adopted"

            {agent}
            """
        )
    )
    return root


def test_binder_takes_the_whole_request_or_parameters_by_name() -> None:
    """One ``request`` parameter gets the dict; others bind by name, base_url makes model bare."""
    request = {"message": "hi", "history": [], "model": "openai/x", "model_name": "x"}
    request |= {"api_base": "http://m/v1", "session_id": "s", "api_key": "k", "params": {}}

    def whole(request):
        return request

    assert binder(whole)(request) == ((request,), {})

    def sdk(question, history=None, *, model="m", base_url=None):
        return question

    assert binder(sdk)(request)[1] == {
        "question": "hi",
        "history": [],
        "model": "x",
        "base_url": "http://m/v1",
    }

    def litellm_style(prompt, model=None, api_base=None):
        return prompt

    assert binder(litellm_style)(request)[1]["model"] == "openai/x"


def test_binder_refuses_what_it_cannot_fill() -> None:
    """A required unknown parameter, or none for the message, is an error at start."""

    def unknown(question, tenant):
        return question

    with pytest.raises(TypeError, match="'tenant' has no counterpart"):
        binder(unknown)

    def no_message(history=None):
        return ""

    with pytest.raises(TypeError, match="no parameter takes the message"):
        binder(no_message)


def test_adapter_request_keeps_history_and_resolves_the_key_by_name(monkeypatch) -> None:
    """History comes from the session memory, or from a conversation given as input."""
    monkeypatch.setenv("MY_KEY", "sekrit")
    history = SessionHistory()
    history.add("s1", "hello", "hi there")
    request = adapter_request(
        {"input": "again", "session_id": "s1", "model": "openai/gpt-4o", "api_key_env": "MY_KEY"},
        history,
    )
    assert request["history"] == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi there"},
    ]
    assert request["api_key"] == "sekrit" and request["model_name"] == "gpt-4o"
    conversation = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    given = adapter_request({"input": conversation, "session_id": "s1"}, history)
    assert given["message"] == "b" and given["history"] == conversation[:1]


def test_sessions_are_bounded() -> None:
    """The oldest session is forgotten first."""
    history = SessionHistory(limit=2)
    for name in ("a", "b", "c"):
        history.add(name, "q", "r")
    assert history.get("a") == [] and history.get("c")


def test_json_paths() -> None:
    """Dotted paths create objects on the way in and index lists on the way out."""
    body: dict = {}
    put_path(body, "input.text", "hi")
    assert body == {"input": {"text": "hi"}}
    assert get_path({"choices": [{"message": {"content": "x"}}]}, "choices.0.message.content") == (
        "x"
    )
    with pytest.raises(KeyError, match=r"choices\.1"):
        get_path({"choices": [{}]}, "choices.1.message")


async def test_a_function_entry_runs_traced_with_history(tmp_path: Path) -> None:
    """A sync foreign function answers turns in a child, remembers the session, is traced."""
    from workbench.core.collector import start_collector

    project = open_project(
        _project(tmp_path, '[agent]\nadapter = "function"\nentry = "foreign:reply"\nsrc = "."')
    )
    attributes = {"workbench.model_source": "mock"}
    with start_collector(port=0, workers=0) as collector:
        async with WorkerPool(project, otlp_endpoint=collector.url) as pool:
            request = {"input": "hello", "session_id": "s", "model": "openai/gpt-4o-mini"}
            first = await pool.run({**request, "span_attributes": attributes})
            second = await pool.run({**request, "input": "again"})
            failed = await pool.run({"input": "raise"})
            wrong = await pool.run({"input": "list"})
        trace = wait_for_trace(first.result["trace_id"], timeout=30)
    assert first.result["output"] == "0:hello:gpt-4o-mini:None"
    assert first.result["status"] == "ok" and len(first.result["trace_id"]) == 32
    assert second.result["output"] == "2:again:gpt-4o-mini:None"
    assert failed.result["status"] == "error" and failed.result["error"] == "ValueError: boom"
    assert wrong.result["status"] == "error" and "returned list" in wrong.result["error"]
    assert trace is not None
    agent = next(span for span in trace.spans if span.kind == "agent")
    assert agent.name == "invoke_agent foreign"


async def test_a_turn_that_does_not_wait_for_its_trace_is_stored_when_the_child_exits(
    tmp_path: Path,
) -> None:
    from workbench.core.collector import start_collector

    project = open_project(
        _project(tmp_path, '[agent]\nadapter = "function"\nentry = "foreign:reply"\nsrc = "."')
    )
    with start_collector(port=0, workers=0) as collector:
        async with WorkerPool(project, otlp_endpoint=collector.url) as pool:
            outcome = await pool.run({"input": "hello", "wait_for_trace": False})
            trace_id = outcome.result["trace_id"]
            # It returned before exporting: the batch exporter holds the spans (5 s schedule).
            assert get_trace(connect(), trace_id) is None
        # Closing the pool ends the child, which flushes the provider before it exits.
        trace = wait_for_trace(trace_id, timeout=5)
    assert trace is not None
    assert [span.name for span in trace.spans if span.kind == "agent"] == ["invoke_agent foreign"]


BLOCKING = """
import time


async def reply(question):
    if question == "block":
        time.sleep(30)  # blocks the child's event loop: cancelling the turn cannot reach it
    return "ok:" + question
"""


async def test_a_turn_that_did_not_wait_keeps_its_trace_when_its_child_is_killed(
    tmp_path: Path,
) -> None:
    from workbench.core.collector import start_collector

    (tmp_path / "blocking.py").write_text(BLOCKING)
    project = open_project(
        _project(tmp_path, '[agent]\nadapter = "function"\nentry = "blocking:reply"\nsrc = "."')
    )
    with start_collector(port=0, workers=0) as collector:
        async with WorkerPool(
            project, otlp_endpoint=collector.url, turn_timeout=1.0, cancel_grace=0.5
        ) as pool:
            done = await pool.run({"input": "hello", "wait_for_trace": False})
            blocked = await pool.run({"input": "block"})
            # The pool gave up on the blocked child and replaced it, before the batch
            # exporter's schedule (5 s) sent the finished turn's spans.
            assert blocked.error_kind == "timeout"
            trace = wait_for_trace(done.result["trace_id"], timeout=5)
    assert trace is not None
    assert [span.name for span in trace.spans if span.kind == "agent"] == ["invoke_agent foreign"]


INSTRUMENTED = '''
"""A foreign async agent whose own instrumentation reports one LLM call and one tool call."""
from opentelemetry import trace

tracer = trace.get_tracer("foreign")


async def run_agent(request):
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.request.model", "gpt-4o-mini")
        span.set_attribute("gen_ai.usage.input_tokens", 1000)
        span.set_attribute("gen_ai.usage.output_tokens", 100)
    with tracer.start_as_current_span("execute_tool lookup") as span:
        span.set_attribute("gen_ai.operation.name", "execute_tool")
        span.set_attribute("gen_ai.tool.name", "lookup")
        span.set_attribute("gen_ai.tool.call.arguments", '{"id": 7}')
    return {"output": "done " + request["message"]}
'''


async def test_an_instrumented_agent_turn_totals_its_spans(tmp_path: Path) -> None:
    """An async entry taking the whole request: its spans join the turn's trace, carry the
    turn's workbench attributes, and add up to the result's usage, cost and tool calls."""
    from workbench.core.collector import start_collector

    (tmp_path / "instrumented.py").write_text(INSTRUMENTED)
    _project(tmp_path, '[agent]\nadapter = "function"\nentry = "instrumented:run_agent"\nsrc = "."')
    project = open_project(tmp_path)
    request = {"input": "hi", "span_attributes": {"workbench.model_source": "mock"}}
    with start_collector(port=0, workers=0) as collector:
        async with WorkerPool(project, otlp_endpoint=collector.url) as pool:
            outcome = await pool.run(request)
        result = outcome.result
        trace = wait_for_trace(result["trace_id"], timeout=30)
    assert result["output"] == "done hi" and result["steps"] == 1
    assert result["usage"]["input_tokens"] == 1000 and result["usage"]["output_tokens"] == 100
    assert result["usage"]["cost_usd"] > 0
    assert result["tool_calls"] == [
        {"name": "lookup", "arguments": {"id": 7}, "status": "ok", "result": None}
    ]
    assert trace is not None and {span.kind for span in trace.spans} == {"agent", "llm", "tool"}
    llm = next(span for span in trace.spans if span.kind == "llm")
    assert llm.attributes["workbench.model_source"] == "mock"


class _Agent(BaseHTTPRequestHandler):
    seen: list[tuple[dict, str | None]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _Agent.seen.append((body, self.headers.get("traceparent")))
        status = 500 if body["input"]["text"] == "fail" else 200
        data = json.dumps({"data": {"reply": f"echo {body['input']['text']}"}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


async def test_an_http_agent_is_reached_with_the_trace_propagated(tmp_path: Path) -> None:
    """The black-box adapter posts the message at its path and reads the reply at its path."""
    from workbench.core.collector import start_collector

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Agent)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    url = f"http://127.0.0.1:{server.server_port}/chat"
    agent = (
        f'[agent]\nadapter = "http"\n\n[agent.http]\nurl = "{url}"\n'
        'message_path = "input.text"\nsession_path = "conversation"\nreply_path = "data.reply"\n'
    )
    project = open_project(_project(tmp_path, agent))
    try:
        with start_collector(port=0, workers=0) as collector:
            async with WorkerPool(project, otlp_endpoint=collector.url) as pool:
                outcome = await pool.run({"input": "hi", "session_id": "c1"})
                failed = await pool.run({"input": "fail"})
    finally:
        server.shutdown()
    assert outcome.result["output"] == "echo hi"
    body, traceparent = _Agent.seen[0]
    assert body == {"input": {"text": "hi"}, "conversation": "c1"}
    assert traceparent is not None and traceparent.split("-")[1] == outcome.result["trace_id"]
    assert failed.result["status"] == "error" and "HTTP 500" in failed.result["error"]

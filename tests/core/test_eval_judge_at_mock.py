"""llm-rubric's judge when ``--api-base`` points at a workbench mock or another server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.core.test_mock_server import make_project
from workbench.core.evals.observation import Observation
from workbench.core.evals.services import EvalServices
from workbench.core.mock import start_mock

RULES = """
rules:
  - id: default
    respond: {text: "Hello! How can I help you today?"}
"""
RUBRIC = "Refunds arrive within 5 to 7 business days"
REPLY = "Refunds arrive in 5 to 7 business days"


def observation() -> Observation:
    return Observation(output=REPLY, status="ok", latency_ms=1, variant="a")


async def judge(services: EvalServices):
    return await services.judge(RUBRIC, REPLY, provider=None, observation=observation())


async def test_a_mock_reached_through_api_base_judges_like_the_mock(tmp_path):
    server = start_mock(project_dir=make_project(tmp_path / "p", RULES))
    try:
        target = {"model": "openai/gpt-4o-mini", "api_base": server.api_base, "source": "real"}
        services = EvalServices(tmp_path, tmp_path / "src", judges={"a": target})
        ok, score, reason = await judge(services)
    finally:
        server.stop()
    assert ok and score >= 0.5
    assert reason.startswith("mock judge") and "no mock rule answered" in reason


async def test_judge_model_mock_calls_nothing(tmp_path):
    # The variant's endpoint does not exist: the mock judge must not try it.
    target = {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1", "source": "real"}
    override = {"model": "mock", "forced": True}
    services = EvalServices(
        tmp_path, tmp_path / "src", judges={"a": target}, judge_override=override
    )
    ok, _, reason = await judge(services)
    assert ok and reason.startswith("mock judge")


class _ChattyModel(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Sure, happy to help!"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def chatty_model():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChattyModel)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


async def test_another_servers_non_verdict_says_what_to_do(tmp_path, chatty_model):
    target = {"model": "openai/gpt-4o-mini", "api_base": chatty_model, "source": "real"}
    services = EvalServices(tmp_path, tmp_path / "src", judges={"a": target})
    ok, score, reason = await judge(services)
    assert not ok and score == 0.0
    assert reason.startswith("judge reply not understood: 'Sure, happy to help!'")
    assert "--judge-model mock" in reason

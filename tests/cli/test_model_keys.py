"""A provider's key goes only to that provider's own host.

``workbench run --api-base`` against a real local HTTP server that records every request's
``Authorization`` header: with ``OPENAI_API_KEY`` set, the server never sees it; with
``--api-key-env`` it sees exactly the key named for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_record_replay import SECRET, project, run_cli  # noqa: F401 (fixture)
from workbench.core import model_keys
from workbench.core.mock.upstream import upstream_key
from workbench.errors import ModelError


class HeaderRecorder:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 that answers every call with text."""

    def __init__(self) -> None:
        self.authorizations: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                recorder.authorizations.append(self.headers.get("Authorization"))
                answer = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Hello there."},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def recorder() -> Iterator[HeaderRecorder]:
    server = HeaderRecorder()
    yield server
    server.stop()


@pytest.mark.slow
def test_the_openai_key_never_reaches_a_local_api_base(
    project: Path,  # noqa: F811
    workbench_home: Path,
    recorder: HeaderRecorder,
) -> None:
    done = run_cli(
        project, workbench_home, "Hi", "--model", "openai/local", "--api-base", recorder.api_base
    )
    assert done.returncode == 0, done.stderr
    assert recorder.authorizations, "the agent called the local server"
    assert not any(SECRET in (value or "") for value in recorder.authorizations)

    named = run_cli(
        project,
        workbench_home,
        "Hi again",
        "--model",
        "openai/local",
        "--api-base",
        recorder.api_base,
        "--api-key-env",
        "LOCAL_SERVER_KEY",
        LOCAL_SERVER_KEY="local-secret",
    )
    assert named.returncode == 0, named.stderr
    assert set(recorder.authorizations[-1:]) == {"Bearer local-secret"}
    assert not any(SECRET in (value or "") for value in recorder.authorizations)


@pytest.mark.slow
def test_a_named_key_variable_that_is_unset_is_a_one_line_error(
    project: Path,  # noqa: F811
    workbench_home: Path,
) -> None:
    done = run_cli(
        project,
        workbench_home,
        "Hi",
        "--model",
        "openai/local",
        "--api-base",
        "http://127.0.0.1:9/v1",
        "--api-key-env",
        "NO_SUCH_VARIABLE_SET",
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: --api-key-env NO_SUCH_VARIABLE_SET: the variable is not set"
    ]


def test_the_providers_key_goes_only_to_the_providers_host() -> None:
    env = {"OPENAI_API_KEY": "sk-own", "LOCAL_KEY": "local"}
    assert model_keys.key_for("openai/gpt-4o", None, env) == "sk-own"
    assert model_keys.key_for("openai/gpt-4o", "https://api.openai.com/v1", env) == "sk-own"
    for elsewhere in ("http://api.openai.com/v1", "http://127.0.0.1:8000/v1", "https://x.dev/v1"):
        assert model_keys.key_for("openai/gpt-4o", elsewhere, env) == model_keys.PLACEHOLDER
    assert model_keys.key_for("openai/gpt-4o", "https://x.dev/v1", env, "LOCAL_KEY") == "local"
    assert model_keys.key_for("groq/llama3-8b-8192", "https://api.groq.com/openai/v1", {}) is None
    with pytest.raises(ModelError, match="--api-key-env UNSET: the variable is not set"):
        model_keys.key_for("openai/gpt-4o", "https://x.dev/v1", env, "UNSET")


def test_recording_never_forwards_the_providers_key_to_another_host() -> None:
    env = {"OPENAI_API_KEY": "sk-own"}
    assert upstream_key("openai/gpt-4o-mini", env) == "sk-own"
    assert upstream_key("openai/gpt-4o-mini", env, "http://127.0.0.1:1/v1") == "not-needed"
    assert upstream_key("openai/gpt-4o-mini", env, "http://127.0.0.1:1/v1", "OPENAI_API_KEY") == (
        "sk-own"
    )

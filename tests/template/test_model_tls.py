"""The example agent against an endpoint whose TLS certificate does not verify.

A certificate error cannot heal: the call is tried once, not retried, and no fallback on the
same endpoint is tried. The server is a real local HTTPS server with a self-signed certificate
made by the `openssl` command; the agent's code runs in a child process, as deployed.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CALL = """
import asyncio, json, sys
from support_agent.agents import attempts, llm
from support_agent.agents.routing import ModelTarget

waits = []

def recorded(self, seconds):
    waits.append(seconds)
    return asyncio.sleep(0)

attempts.host_class().sleep = recorded

async def main():
    target = ModelTarget("openai/primary", ("openai/fallback",), sys.argv[1])
    errors = []
    try:
        await llm.complete(target, [{"role": "user", "content": "hi"}], [], {}, errors=errors)
    except llm.LLMError as error:
        print(json.dumps({"error": str(error), "attempts": errors, "waits": waits}))

asyncio.run(main())
"""


@pytest.mark.slow
def test_a_certificate_that_does_not_verify_is_tried_once(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
        ],
        check=True,
        capture_output=True,
    )
    posts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    api_base = f"https://127.0.0.1:{server.server_port}/v1"
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OTEL_"))}
        env["PYTHONPATH"] = str(REPO / "projects" / "support-agent" / "src")
        done = subprocess.run(
            [sys.executable, "-c", CALL, api_base],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["error"] == f"model unavailable: TLS certificate of {api_base} rejected"
    assert len(outcome["attempts"]) == 1  # no retry, no fallback on the same endpoint
    assert outcome["waits"] == []
    assert posts == []  # the handshake failed: no request was ever sent

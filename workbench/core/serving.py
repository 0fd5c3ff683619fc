"""Serving an ASGI app on 127.0.0.1 in a background thread, for in-process servers and tests."""

from __future__ import annotations

import functools
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

import uvicorn

from workbench.errors import WorkbenchError


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, built once, for the short-lived clients that poll a local
    server: each client builds its own otherwise (~40 ms of CPU), at every poll."""
    import httpx

    return httpx.create_ssl_context()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class RunningServer:
    """An ASGI app served by uvicorn in a daemon thread; ``stop()`` shuts it down."""

    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    extras: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The base address, e.g. ``http://127.0.0.1:4318``."""
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    app, *, host: str = "127.0.0.1", port: int = 0, name: str = "server", **uvicorn_options
) -> RunningServer:
    """Start ``app`` on ``host:port`` (0 picks a free port) and wait until it accepts requests."""
    if port and port_in_use(host, port):
        raise WorkbenchError(f"{host}:{port} is already in use; choose another port with --port")
    # Bound here and handed to uvicorn: with port 0 the kernel picks the port at bind time, so
    # no other process can take it between choosing and binding (as with free_port()).
    sock = _listening_socket(host, port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", **uvicorn_options
    )
    server = uvicorn.Server(config)
    # No signal handlers to disable: uvicorn (>= 0.29) installs them only on the main thread.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive():
            raise WorkbenchError(f"{name} could not start on {host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise WorkbenchError(f"{name} did not start on {host}:{port} within 10 s")
        time.sleep(0.01)
    return RunningServer(host=host, port=port, server=server, thread=thread)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port) and listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says
    # TCP, and without it a reply written in two parts (headers, body) waits for the
    # client's delayed ACK (40 ms on Linux) before its second part leaves.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise WorkbenchError(f"cannot listen on {host}:{port}: {error.strerror}") from error
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock

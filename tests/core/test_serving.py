"""The listening socket the in-thread servers (mock, collector) are handed."""

from __future__ import annotations

import asyncio
import socket

from workbench.core.serving import _listening_socket


def test_connections_accepted_on_the_listening_socket_send_without_nagle() -> None:
    """asyncio turns Nagle off only for sockets whose proto says TCP; with Nagle on, a reply
    written in two parts waits for the client's delayed ACK (40 ms on Linux) every time."""

    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listening = _listening_socket("127.0.0.1", 0)
        server = await asyncio.start_server(on_connect, sock=listening)
        try:
            _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
            value = await asyncio.wait_for(seen, 30)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(accepted_nodelay()) != 0


def test_in_thread_servers_parse_http_with_httptools() -> None:
    """The mock answers every model call of an eval and the collector every export; uvicorn's
    pure-Python h11 parser costs them ~0.3 ms a request more than httptools (a dependency)."""
    from starlette.applications import Starlette
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from workbench.core.serving import serve_in_thread

    with serve_in_thread(Starlette()) as server:
        assert server.server.config.http_protocol_class is HttpToolsProtocol

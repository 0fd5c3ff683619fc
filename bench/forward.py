"""Forwarding benchmark: collector ingest throughput with and without ``--forward``, same run.

Run: ``python bench/forward.py [--spans 20000] [--batch 256] [--clients 4] [--repeat 3]``

Each round starts the receiver in its own process (as ``workbench collect`` runs
it) on a fresh database, once plain and once forwarding every export to an
upstream OTLP endpoint in a third process (an asyncio sink that counts what it
gets and answers 200; kept cheap because, unlike a real upstream, it shares the
benchmark's cores), alternating the order of the modes from round to round so a
change in the machine's load biases neither side. The load generator posts
pre-serialized protobuf exports of GenAI agent turns over keep-alive connections
and times until the last one is acknowledged. Reported: spans/s per mode (median
of the rounds), the forwarding cost in percent, the receiver process's own CPU
per 1,000 spans (steadier than throughput on a loaded machine), and whether every
export reached the upstream (forwarded, dropped, backlog after each forwarding round).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve(db_path: str, port: str, forward: str) -> None:
    """The receiver process, forwarding to ``forward`` unless it is ``-``."""
    import uvicorn

    from workbench.core.collector.app import create_app
    from workbench.core.collector.forward import ForwardConfig

    config = ForwardConfig(url=forward, max_queue=100_000) if forward != "-" else None
    app = create_app(db_path=Path(db_path), forward=config)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


def upstream(port: str) -> None:
    """A cheap OTLP sink on asyncio streams: counts exports, answers 200 (keep-alive).

    A real upstream runs on another machine; this one shares the benchmark's cores, so
    it is kept to a few microseconds of CPU per export (uvicorn would cost far more).
    """
    import asyncio

    counts = {"exports": 0, "bytes": 0}
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if head.startswith(b"GET /count"):
                    body = json.dumps(counts).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                else:
                    counts["exports"] += 1
                    counts["bytes"] += length
                    writer.write(ok)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", int(port))
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    from workbench.core.serving import free_port as pick

    return pick()


def wait_up(port: int, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as answer:
                answer.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def get_json(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return json.loads(answer.read())


def post_all(port: int, bodies: list[bytes], clients: int) -> float:
    """Post every body from ``clients`` threads; seconds until the last acknowledgement."""
    pending = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not pending:
                    return
                body = pending.pop()
            while True:
                conn.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
                answer = conn.getresponse()
                answer.read()
                if answer.status == 200:
                    break
                if answer.status != 503:
                    failures.append(f"HTTP {answer.status}")
                    return
                time.sleep(0.01)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"load failed: {failures[:3]}")
    return time.perf_counter() - started


def process_cpu(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(bodies: list[bytes], spans: int, clients: int, forward_port: int | None) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        forward = f"http://127.0.0.1:{forward_port}" if forward_port else "-"
        receiver = subprocess.Popen(
            [sys.executable, __file__, "serve", str(Path(tmp) / "wb.db"), str(port), forward],
            env={**os.environ, "WORKBENCH_HOME": tmp},
        )
        try:
            wait_up(port)
            cpu_before = process_cpu(receiver.pid)
            seconds = post_all(port, bodies, clients)
            result: dict = {"spans_per_s": spans / seconds}
            if forward_port:
                deadline = time.monotonic() + 120
                while True:
                    stats = get_json(port, "/healthz")["forward"]
                    if stats["backlog"] == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                result["forward"] = stats
            # The receiver's own CPU for the load (forwarding included): unlike throughput,
            # it hardly depends on what else the machine runs.
            result["cpu_ms_per_1k"] = (process_cpu(receiver.pid) - cpu_before) * 1e6 / spans
        finally:
            receiver.terminate()
            receiver.wait(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest import build_exports

    bodies = [body for body, _ in build_exports(args.spans, args.batch)]
    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, __file__, "upstream", str(sink_port)])
    try:
        wait_up(sink_port, "/count")
        plain: list[float] = []
        forwarding: list[float] = []
        cpu: dict[str, list[float]] = {"plain": [], "forward": []}
        for index in range(args.repeat):
            for mode in ("plain", "forward") if index % 2 == 0 else ("forward", "plain"):
                before = get_json(sink_port, "/count")["exports"]
                result = one_round(
                    bodies, args.spans, args.clients, sink_port if mode == "forward" else None
                )
                (forwarding if mode == "forward" else plain).append(result["spans_per_s"])
                cpu[mode].append(result["cpu_ms_per_1k"])
                line = (
                    f"round {index + 1} {mode:<8} {result['spans_per_s']:>9,.0f} spans/s"
                    f"  receiver CPU {result['cpu_ms_per_1k']:6.1f} ms per 1,000 spans"
                )
                if mode == "forward":
                    got = get_json(sink_port, "/count")["exports"] - before
                    stats = result["forward"]
                    line += (
                        f"  upstream got {got}/{len(bodies)} exports"
                        f" (forwarded {stats['forwarded']}, dropped {stats['dropped']},"
                        f" backlog {stats['backlog']})"
                    )
                print(line, flush=True)
    finally:
        sink.terminate()
        sink.wait(30)
    a, b = statistics.median(plain), statistics.median(forwarding)
    print(
        f"{args.spans} spans in exports of {args.batch}, {args.clients} clients,"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"median plain {a:,.0f} spans/s, forwarding {b:,.0f} spans/s:"
        f" forwarding costs {(1 - b / a) * 100:.1f}% of ingest throughput"
    )
    ca, cb = statistics.median(cpu["plain"]), statistics.median(cpu["forward"])
    print(
        f"receiver CPU per 1,000 spans: plain {ca:.1f} ms, forwarding {cb:.1f} ms"
        f" (+{(cb / ca - 1) * 100:.1f}%)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "upstream":
        upstream(sys.argv[2])
    else:
        main()

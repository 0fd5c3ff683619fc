"""Ingest benchmark: spans/s through the OTLP/HTTP receiver versus a plain executemany.

Run: ``python bench/ingest.py [--spans 100000] [--clients 4] [--batch 512]``

The receiver runs in its own process (as ``workbench collect`` does), on a fresh
database; the clients post pre-serialized protobuf exports of realistic GenAI
agent turns.  In the same run, the same rows go into another fresh database
with one plain ``executemany``.  Receipt-to-visible latency is the time from
starting a POST to its last trace being readable through ``get_trace`` on a
separate reader connection, measured for every export under load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)

from workbench.core.collector.normalize import normalize_request  # noqa: E402
from workbench.core.collector.synthetic import agent_turn, make_request  # noqa: E402
from workbench.core.serving import free_port  # noqa: E402
from workbench.store.db import connect  # noqa: E402
from workbench.store.schema.spans import SPAN_COLUMNS  # noqa: E402
from workbench.store.traces import get_trace  # noqa: E402

SERVER = """
import sys, uvicorn
from pathlib import Path
from workbench.core.collector.app import create_app
uvicorn.run(create_app(db_path=Path(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


def build_exports(total_spans: int, batch: int, seed: int = 1) -> list[tuple[bytes, str]]:
    """Serialized export requests of ``batch`` spans each, with the last trace id of each."""
    rng = random.Random(seed)
    start = time.time_ns() - 3600 * 10**9
    spans = []
    while len(spans) < total_spans:
        spans += agent_turn(rng, start_ns=start + len(spans) * 1_000_000)
    spans = spans[:total_spans]
    exports = []
    for offset in range(0, len(spans), batch):
        chunk = spans[offset : offset + batch]
        request = make_request(chunk, service="support-agent")
        exports.append((request.SerializeToString(), chunk[-1].trace_id.hex()))
    return exports


def start_server(db_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(db_path), str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    with httpx.Client(trust_env=False) as http:
        while True:
            try:
                if http.get(f"{url}/healthz").status_code == 200:
                    return process, url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the collector did not start")
            time.sleep(0.05)


def run_receiver(exports, clients: int, db_path: Path):
    """Seconds to ingest every export with ``clients`` concurrent senders, latencies (s), and
    the receiver's and the clients' CPU microseconds per span."""
    process, url = start_server(db_path)
    latencies: list[float] = []
    errors: list[str] = []
    queue = list(reversed(exports))
    lock = threading.Lock()
    # Warm up once so the price map and connections are ready.
    with httpx.Client(trust_env=False) as http:
        http.post(
            f"{url}/v1/traces",
            content=exports[0][0],
            headers={"Content-Type": "application/x-protobuf"},
        )

    def client() -> None:
        reader = connect(db_path)
        headers = {"Content-Type": "application/x-protobuf"}
        with httpx.Client(trust_env=False, timeout=60) as http:
            while True:
                with lock:
                    if not queue:
                        break
                    body, trace_id = queue.pop()
                sent = time.perf_counter()
                response = http.post(f"{url}/v1/traces", content=body, headers=headers)
                if response.status_code == 503:
                    with lock:
                        queue.append((body, trace_id))
                    time.sleep(0.05)
                    continue
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                while get_trace(reader, trace_id) is None:
                    time.sleep(0.001)
                latencies.append(time.perf_counter() - sent)
        reader.conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    server_cpu_before = cpu_seconds(process.pid)
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(process.pid) - server_cpu_before
    client_cpu = time.process_time() - client_cpu_before
    total = sum(
        len(ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans)
        for body, _ in exports
    )
    cpu = (server_cpu / total * 1e6, client_cpu / total * 1e6)
    process.terminate()
    process.wait(10)
    if errors:
        raise SystemExit(f"{len(errors)} exports failed, e.g. {errors[0]}")
    return elapsed, latencies, cpu


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_plain(exports, db_path: Path) -> float:
    """Seconds for one plain executemany of the same rows into a fresh database."""
    rows = []
    for body, _ in exports:
        rows += normalize_request(ExportTraceServiceRequest.FromString(body)).rows
    db = connect(db_path)
    sql = (
        f"INSERT INTO spans ({', '.join(SPAN_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in SPAN_COLUMNS)})"
    )
    started = time.perf_counter()
    with db.conn:
        db.conn.executemany(sql, rows)
    elapsed = time.perf_counter() - started
    db.conn.close()
    return elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    exports = build_exports(args.spans, args.batch)
    spans = args.spans
    with tempfile.TemporaryDirectory() as folder:
        receiver_s, latencies, cpu = run_receiver(exports, args.clients, Path(folder) / "rx.db")
        plain_s = run_plain(exports, Path(folder) / "plain.db")
    receiver_rate = spans / receiver_s
    plain_rate = spans / plain_s
    print(f"cpus: {os.cpu_count()}  spans: {spans}  batch: {args.batch}  clients: {args.clients}")
    print(f"receiver (OTLP/HTTP protobuf): {receiver_rate:,.0f} spans/s ({receiver_s:.2f} s)")
    print(f"plain executemany (same rows): {plain_rate:,.0f} spans/s ({plain_s:.2f} s)")
    print(f"receiver CPU per span: {cpu[0]:.1f} us (clients: {cpu[1]:.1f} us)")
    print(f"ratio receiver / plain: {receiver_rate / plain_rate:.2f}")
    print(
        "receipt-to-visible latency under load: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms ({len(latencies)} exports)"
    )


if __name__ == "__main__":
    main()

"""Ingest benchmark: spans/s through the OTLP/HTTP receiver versus a plain executemany.

Run: ``python bench/ingest.py [--spans 100000] [--batch 512] [--clients 4] [--repeat 3]
[--writer-cpu]``

Each repetition starts the receiver in its own process (as ``workbench collect``
does) on a fresh database, and a load generator in another process that posts
pre-serialized protobuf exports of realistic GenAI agent turns over keep-alive
connections, so the senders cost the receiver as little CPU as possible.  The
same rows go into another fresh database with one plain ``executemany`` just
before and just after the receiver's run (their mean is the baseline, so a
change in the machine's load during the run biases neither side).
Receipt-to-visible latency is the time from starting a POST to its last trace
being readable through ``get_trace`` on a separate reader connection, for
every export, under load; a checker thread does the reading, so a sender posts
its next export as soon as the last is acknowledged, as exporters do.  Load
averages are printed: other work on the machine slows everything down, so
compare figures from the same run.

The receiver refreshes trace summaries after acknowledging (readers merge the
pending ones), so the run also prints the rate until every summary is
refreshed, and how long after the last acknowledgement they caught up.  The
cold figure is the receipt-to-visible time of a fresh receiver's first export,
decoded while its worker processes start.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_exports(total_spans: int, batch: int, seed: int = 1) -> list[tuple[bytes, str]]:
    """Serialized export requests of ``batch`` spans each, with the last trace id of each."""
    from workbench.core.collector.synthetic import agent_turn, make_request

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


def serve(db_path: str, port: str, workers: str) -> None:
    """The receiver process: the collector app under uvicorn, as ``workbench collect`` runs it."""
    import uvicorn

    from workbench.core.collector.app import create_app

    options = {} if workers == "default" else {"workers": int(workers)}
    app = create_app(db_path=Path(db_path), **options)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


def load(bodies_path: str, port: str, db_path: str, clients: str) -> None:
    """The load generator process: post every export, retry 503s, report timings as JSON."""
    from workbench.store.db import connect
    from workbench.store.traces import get_trace

    exports = pickle.loads(Path(bodies_path).read_bytes())
    pending = list(reversed(exports))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counts = {"retries": 0, "late": 0}
    headers = {"Content-Type": "application/x-protobuf"}

    acknowledged: queue.Queue = queue.Queue()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
        while True:
            with lock:
                if not pending:
                    break
                body, trace_id = pending.pop()
            sent = time.perf_counter()
            conn.request("POST", "/v1/traces", body=body, headers=headers)
            response = conn.getresponse()
            text = response.read()
            if response.status == 503:
                with lock:
                    pending.append((body, trace_id))
                    counts["retries"] += 1
                time.sleep(0.05)
                continue
            if response.status != 200:
                errors.append(f"{response.status}: {text[:200]!r}")
                continue
            # Checked beside the senders, as an exporter sends its next batch at once.
            acknowledged.put((trace_id, sent))
        conn.close()

    def checker() -> None:
        reader = connect(Path(db_path))
        while (item := acknowledged.get()) is not None:
            trace_id, sent = item
            if get_trace(reader, trace_id) is None:
                counts["late"] += 1  # acknowledged but not readable: a broken guarantee
                while get_trace(reader, trace_id) is None:
                    time.sleep(0.001)
            latencies.append(time.perf_counter() - sent)
        reader.conn.close()

    threads = [threading.Thread(target=client) for _ in range(int(clients))]
    checking = threading.Thread(target=checker)
    checking.start()
    cpu = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    # How far the summaries lag at the last acknowledgement, and how long they take to
    # catch up after it (the checker may still be reading meanwhile, as a user would).
    reader = connect(Path(db_path))
    pending_at_last_ack = pending_summaries(reader.conn)
    while pending_summaries(reader.conn):
        time.sleep(0.002)
    caught_up = time.perf_counter() - started - elapsed
    acknowledged.put(None)
    checking.join()
    summarized = time.perf_counter() - started
    while pending_summaries(reader.conn):
        time.sleep(0.005)
        summarized = time.perf_counter() - started
    reader.conn.close()
    report = {
        "elapsed": elapsed,
        "summarized": summarized,
        "caught_up": caught_up,
        "pending_at_last_ack": pending_at_last_ack,
        "cpu": time.process_time() - cpu,
        "latencies": latencies,
        "errors": errors,
        **counts,
    }
    sys.stdout.write(json.dumps(report))


def pending_summaries(conn) -> int:
    """Traces whose stored summary still lags their spans (0 for a receiver without them)."""
    import sqlite3

    try:
        return conn.execute("SELECT COUNT(*) FROM trace_pending").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _child(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.environ.get("INGEST_CODE_ROOT", str(ROOT))}
    return subprocess.Popen([sys.executable, __file__, *args], env=env, **kwargs)


def start_server(db_path: Path, workers: str) -> tuple[subprocess.Popen, int]:
    from workbench.core.serving import free_port

    port = free_port()
    process = _child("--serve", str(db_path), str(port), workers)
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return process, port
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the collector did not start")
        time.sleep(0.05)


def writer_stats(port: int) -> dict:
    """The receiver's writer thread counters from /healthz (empty for a receiver without them)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/healthz")
    stats = json.loads(connection.getresponse().read()).get("writer") or {}
    connection.close()
    return stats


def wait_for_decode_workers(port: int, timeout: float = 60.0) -> None:
    """Wait until the receiver's decode workers (started by the warm-up export) all run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        workers = json.loads(connection.getresponse().read()).get("decode_workers")
        connection.close()
        if not workers or not workers["available"] or workers["started"] >= workers["size"]:
            return
        time.sleep(0.05)
    raise SystemExit("the receiver's decode workers did not start")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User plus system CPU seconds of a process, and of all its live descendants (Linux)."""
    children = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            children += sum(cpu_seconds(int(child)))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), children


def run_receiver(exports, bodies: Path, clients: int, db_path: Path, workers: str) -> dict:
    """Ingest every export through a receiver process; timings, latencies and CPU per span."""
    process, port = start_server(db_path, workers)
    try:
        # Warm up with a full export, which starts the decode workers, and wait for them.
        # Its receipt-to-visible time is the cold figure: a collector's first export.
        from workbench.store.db import connect
        from workbench.store.traces import get_trace

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = time.perf_counter()
        connection.request(
            "POST", "/v1/traces", exports[0][0], {"Content-Type": "application/x-protobuf"}
        )
        if connection.getresponse().status != 200:
            raise SystemExit("the warm-up export failed")
        reader = connect(db_path)
        while get_trace(reader, exports[0][1]) is None:
            time.sleep(0.001)
        cold = time.perf_counter() - sent
        reader.conn.close()
        connection.close()
        wait_for_decode_workers(port)
        main_before, workers_before = cpu_seconds(process.pid)
        writer_before = writer_stats(port)
        generator = _child(
            "--load", str(bodies), str(port), str(db_path), str(clients), stdout=subprocess.PIPE
        )
        output, _ = generator.communicate()
        main_after, workers_after = cpu_seconds(process.pid)
        writer_after = writer_stats(port)
    finally:
        process.terminate()
        process.wait(30)
    report = json.loads(output)
    if report["errors"]:
        raise SystemExit(f"{len(report['errors'])} exports failed, e.g. {report['errors'][0]}")
    report["main_cpu"] = main_after - main_before
    report["workers_cpu"] = workers_after - workers_before
    report["cold"] = cold
    report["writer"] = {key: writer_after[key] - writer_before.get(key, 0) for key in writer_after}
    return report


def plain_rows(exports) -> list[tuple]:
    """The rows the receiver stores for ``exports``, normalized in this process."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from workbench.core.collector.normalize import normalize_request

    rows = []
    for body, _ in exports:
        rows += normalize_request(ExportTraceServiceRequest.FromString(body)).rows
    return rows


def run_plain(rows: list[tuple], db_path: Path) -> float:
    """Seconds for one plain executemany of ``rows`` into a fresh database."""
    from workbench.store.db import connect
    from workbench.store.schema.spans import SPAN_COLUMNS

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


def writer_cpu(rows: list[tuple], folder: Path, batch: int = 2048) -> None:
    """The single writer's own CPU per span (thread time, so other load barely moves it):
    plain executemany, the refresh inside the acknowledged transaction, and the staged write
    with summaries refreshed after every batch (an idle writer) or every fourth (sustained),
    in batches of ``batch`` spans and of one 512-span export; with the write-ahead log each
    wrote per span (pages rewritten by every commit are most of it)."""
    from workbench.core.collector.checkpoint import tune_writer
    from workbench.core.collector.sink import stage_spans, write_spans
    from workbench.store.db import connect
    from workbench.store.summaries import summarize_pending

    def fresh(name: str):
        db = connect(folder / f"writer-{name}.db")
        tune_writer(db)  # the collector's writer settings (cache, no inline checkpoints)
        return db

    plain = fresh("plain")
    started = time.thread_time()
    run_plain_on(plain, rows)
    base = (time.thread_time() - started) / len(rows) * 1e6
    print(
        f"  writer CPU per span: plain executemany {base:.1f} us "
        f"(WAL written: {wal_bytes(plain) / len(rows):,.0f} bytes a span)"
    )
    plain.conn.close()
    for label, write, every, size in (
        ("refresh in the acknowledged transaction", write_spans, 0, batch),
        ("staged, summaries after every batch", stage_spans, 1, batch),
        ("staged, summaries after every 4th batch", stage_spans, 4, batch),
        # The receiver's own cadence: about one export per transaction (see its run below).
        ("staged, 512-span batches, summaries after every 4th", stage_spans, 4, 512),
    ):
        batches = [rows[i : i + size] for i in range(0, len(rows), size)]
        db = fresh(f"{label.split()[0]}{every}-{size}")
        ack = total = 0.0
        for index, rows_in in enumerate(batches):
            started = time.thread_time()
            with db.conn:
                write(db, rows_in)
            ack += time.thread_time() - started
            if every and (index % every == every - 1 or index == len(batches) - 1):
                summarize_pending(db)
            total += time.thread_time() - started
        wal = wal_bytes(db) / len(rows)
        db.conn.close()
        print(
            f"  writer CPU per span, {label}: {ack / len(rows) * 1e6:.1f} us before the "
            f"acknowledgement, {total / len(rows) * 1e6:.1f} us with the summaries "
            f"(WAL written: {wal:,.0f} bytes a span)"
        )


def wal_bytes(db) -> int:
    """Bytes in the connection's write-ahead log: the writer's connection never checkpoints,
    so this is every page its commits wrote (pages written again by later commits count again)."""
    (path,) = [row[2] for row in db.conn.execute("PRAGMA database_list") if row[1] == "main"]
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def run_plain_on(db, rows: list[tuple]) -> None:
    from workbench.store.schema.spans import SPAN_COLUMNS

    sql = (
        f"INSERT INTO spans ({', '.join(SPAN_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in SPAN_COLUMNS)})"
    )
    with db.conn:
        db.conn.executemany(sql, rows)


def remove_databases(folder: Path) -> None:
    """Delete a repetition's databases (and their WAL files) once it is measured.

    Each repetition writes some 300 MB; left in place, they made the next receiver's
    runs slower and slower on a small VM (run 3 of 3 at twice the CPU per span, the
    plain insert barely moved), so later repetitions measured the leftovers, not the
    receiver. Every repetition starts from the same empty folder this way.
    """
    for path in folder.glob("*.db*"):
        path.unlink()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_run(exports, rows, args, folder: Path, index: int) -> dict:
    """One repetition: plain, receiver, plain again; the figures of this run."""
    load_average = os.getloadavg()
    bodies = folder / "bodies.pickle"
    plain_before = run_plain(rows, folder / f"plain-a{index}.db")
    rx = run_receiver(exports, bodies, args.clients, folder / f"rx{index}.db", args.workers)
    plain_after = run_plain(rows, folder / f"plain-b{index}.db")
    remove_databases(folder)
    spans = len(rows)
    latencies = rx["latencies"]
    result = {
        "load": load_average,
        "rx_rate": spans / rx["elapsed"],
        "summarized_rate": spans / rx["summarized"],
        "catch_up_ms": rx["caught_up"] * 1000,
        "pending_at_last_ack": rx["pending_at_last_ack"],
        "cold_ms": rx["cold"] * 1000,
        "plain_rate": spans / ((plain_before + plain_after) / 2),
        "plain_rates": (spans / plain_before, spans / plain_after),
        "server_cpu_us": (rx["main_cpu"] + rx["workers_cpu"]) / spans * 1e6,
        "main_cpu_us": rx["main_cpu"] / spans * 1e6,
        "client_cpu_us": rx["cpu"] / spans * 1e6,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
        "exports": len(latencies),
        "retries": rx["retries"],
        "late": rx["late"],
        "writer_cpu_us": (
            (rx["writer"]["write_cpu_seconds"] + rx["writer"]["deferred_cpu_seconds"]) / spans * 1e6
            if rx["writer"]
            else float("nan")
        ),
        "writer_write_us": rx["writer"].get("write_cpu_seconds", float("nan")) / spans * 1e6,
        "writer_batches": rx["writer"].get("batches", 0),
        "writer_refreshes": rx["writer"].get("deferred_runs", 0),
    }
    result["ratio"] = result["rx_rate"] / result["plain_rate"]
    return result


def report(run: dict, label: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in run["load"])
    print(f"{label}  (load average {load})")
    print(f"  receiver (OTLP/HTTP protobuf): {run['rx_rate']:,.0f} spans/s")
    before, after = run["plain_rates"]
    print(
        f"  plain executemany (same rows): {run['plain_rate']:,.0f} spans/s "
        f"(before {before:,.0f}, after {after:,.0f})"
    )
    print(f"  ratio receiver / plain: {run['ratio']:.2f}")
    print(
        f"  until every trace summary is refreshed too: {run['summarized_rate']:,.0f} spans/s "
        f"(ratio {run['summarized_rate'] / run['plain_rate']:.2f})"
    )
    print(
        f"  summaries caught up {run['catch_up_ms']:.0f} ms after the last acknowledgement "
        f"({run['pending_at_last_ack']} traces pending then; readers merged them meanwhile)"
    )
    print(
        f"  receiver CPU per span: {run['server_cpu_us']:.1f} us, of which its main process "
        f"{run['main_cpu_us']:.1f} us (load generator: {run['client_cpu_us']:.1f} us)"
    )
    print(
        f"  its writer thread: {run['writer_cpu_us']:.1f} us/span, of which "
        f"{run['writer_write_us']:.1f} us before the acknowledgement "
        f"({run['writer_batches']} transactions, {run['writer_refreshes']} summary refreshes)"
    )
    print(
        f"  receipt-to-visible: p50 {run['p50_ms']:.0f} ms, p95 {run['p95_ms']:.0f} ms, "
        f"max {run['max_ms']:.0f} ms ({run['exports']} exports, {run['retries']} retried 503s, "
        f"{run['late']} acknowledged before visible)"
    )
    print(
        f"  cold: a fresh receiver's first export (decode workers starting), receipt-to-visible "
        f"{run['cold_ms']:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers", default="default", help="the receiver's worker processes (default: its own)"
    )
    parser.add_argument(
        "--writer-cpu", action="store_true", help="also compare the writer's own CPU per span"
    )
    args = parser.parse_args()
    exports = build_exports(args.spans, args.batch)
    rows = plain_rows(exports)
    print(
        f"cpus: {os.cpu_count()}  spans: {len(rows)}  batch: {args.batch}  "
        f"clients: {args.clients}  workers: {args.workers}"
    )
    runs = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.environ["WORKBENCH_HOME"] = str(folder / "home")
        (folder / "bodies.pickle").write_bytes(pickle.dumps(exports))
        if args.writer_cpu:
            print(f"writer alone (load average {', '.join(f'{v:.2f}' for v in os.getloadavg())})")
            writer_cpu(rows, folder)
        for index in range(args.repeat):
            runs.append(one_run(exports, rows, args, folder, index))
            report(runs[-1], f"run {index + 1}")
    if len(runs) > 1:
        median = {
            key: statistics.median(run[key] for run in runs)
            for key in runs[0]
            if isinstance(runs[0][key], float | int)
        }
        print(
            f"median of {len(runs)}: receiver {median['rx_rate']:,.0f} spans/s, "
            f"plain {median['plain_rate']:,.0f} spans/s, ratio {median['ratio']:.2f}, "
            f"p95 {median['p95_ms']:.0f} ms, receiver CPU {median['server_cpu_us']:.1f} us/span "
            f"(writer thread {median['writer_cpu_us']:.1f}), "
            f"summaries refreshed {median['summarized_rate']:,.0f} spans/s "
            f"(caught up {median['catch_up_ms']:.0f} ms after the last ack), "
            f"cold first export {median['cold_ms']:.0f} ms"
        )


if __name__ == "__main__":
    # INGEST_CODE_ROOT runs another checkout's receiver (e.g. to measure before a change).
    sys.path.insert(0, os.environ.get("INGEST_CODE_ROOT", str(ROOT)))
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--load":
        load(*sys.argv[2:6])
    else:
        main()

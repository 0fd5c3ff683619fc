"""The OTel SDK setup docs/tracing.md tells users to copy exports all three signals cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from workbench import locations
from workbench.core.collector import start_collector
from workbench.store.db import connect
from workbench.store.telemetry import metric_summaries, trace_logs

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracing.md"

_EMIT = """
from opentelemetry._logs import get_logger
tracer = trace.get_tracer("docs")
tokens = metrics.get_meter("docs").create_histogram("gen_ai.client.token.usage")
with tracer.start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat"}) as s:
    get_logger("docs").emit(event_name="gen_ai.user.message", body={"content": "hi"})
    tokens.record(5, {"gen_ai.token.type": "input"})
    print(format(s.get_span_context().trace_id, "032x"))
for provider in (tracer_provider, logger_provider, metrics.get_meter_provider()):
    provider.shutdown()
"""


def sdk_snippet() -> str:
    """The first Python block under the OpenTelemetry SDK heading."""
    section = DOC.read_text().split("### The OpenTelemetry SDK", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_sdk_setup_exports_without_an_error():
    with start_collector(db_path=locations.db_path()) as server:
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": server.url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": "my-agent",
        }
        run = subprocess.run(
            [sys.executable, "-c", sdk_snippet() + _EMIT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    assert "Failed to export" not in run.stderr and "ERROR" not in run.stderr, run.stderr
    trace_id = run.stdout.strip()
    db = connect()
    assert db.execute("SELECT service FROM spans WHERE trace_id = ?", [trace_id]).fetchone() == (
        "my-agent",
    )
    assert [log.event_name for log in trace_logs(db, trace_id)] == ["gen_ai.user.message"]
    (usage,) = metric_summaries(db)
    assert (usage.project, usage.total) == ("my-agent", 5)

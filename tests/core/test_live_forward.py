"""The TUI's forwarding line: from the collector this process runs, or another's /healthz."""

from __future__ import annotations

import time

import httpx

from tests.core.test_collector_forward import FAST, PROTOBUF, Upstream, export_body
from workbench.core import live
from workbench.core.collector.forward import ForwardConfig
from workbench.core.collector.server import start_collector
from workbench.settings import get_settings


def test_forward_status_reads_the_counters(tmp_path, monkeypatch):
    upstream = Upstream([(503, {"Retry-After": "30"})])
    assert live.forward_status() == ""
    collector = start_collector(
        db_path=tmp_path / "wb.db", forward=ForwardConfig(url=upstream.url, **FAST)
    )
    try:
        body, _ = export_body(2)
        headers = {"Content-Type": PROTOBUF}
        httpx.post(f"{collector.url}/v1/traces", content=body, headers=headers, trust_env=False)
        upstream.wait_for(lambda u: u.answered == [503])
        host = upstream.url.removeprefix("http://")
        expected = f"→ {host}: 0 forwarded, 0 dropped, backlog 1 (retrying)"
        monkeypatch.setattr(live, "_collector_server", collector)
        deadline = time.monotonic() + 30
        while live.forward_status() != expected and time.monotonic() < deadline:
            time.sleep(0.02)  # the forwarder reads the 503 a moment after the upstream sends it
        assert live.forward_status() == expected
        # A collector another process runs: read from its /healthz.
        monkeypatch.setattr(live, "_collector_server", None)
        monkeypatch.setattr(live, "_collector_address", "collector (already running)")
        monkeypatch.setenv("WORKBENCH_COLLECTOR_PORT", str(collector.port))
        get_settings.cache_clear()
        assert live.forward_status() == expected
    finally:
        collector.stop()
    assert live.forward_status() == ""  # nobody answers any more

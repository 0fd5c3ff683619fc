"""The Traces status line shows the collector's forwarding while it runs."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui.conftest import settle
from tests.tui.test_traces import SIZE, open_traces, stored  # noqa: F401  (the fixture)
from tests.tui.tracedata import wait_for
from workbench.core import live
from workbench.tui.app import create_app


async def test_the_status_line_follows_the_forwarding_counters(stored, monkeypatch):  # noqa: F811
    status = {"line": "→ phoenix:6006: 3 forwarded, 0 dropped"}
    monkeypatch.setattr(live, "forward_status", lambda: status["line"])
    app = create_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_traces(pilot)
        line = app.screen.query_one("#traces-status", Static)
        await wait_for(pilot, lambda: "3 forwarded" in str(line.render()), timeout=15)
        assert "collector on http://127.0.0.1:4318" in str(line.render())
        # No new traces needed: the next poll shows the changed counters.
        status["line"] = "→ phoenix:6006: 3 forwarded, 2 dropped, backlog 5 (retrying)"
        await wait_for(pilot, lambda: "backlog 5 (retrying)" in str(line.render()), timeout=15)
        status["line"] = ""
        await wait_for(pilot, lambda: "forwarded" not in str(line.render()), timeout=15)
        await settle(pilot)

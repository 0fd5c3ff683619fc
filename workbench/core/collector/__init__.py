"""The workbench's own OTLP/HTTP trace receiver, writing spans into SQLite."""

from __future__ import annotations

from workbench.core.collector.server import collector_running, ensure_collector, start_collector

__all__ = ["collector_running", "ensure_collector", "start_collector"]

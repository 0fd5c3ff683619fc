"""Migration sets, one module per capability, applied in the order listed here."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from workbench.store.schema import evals, projects, readiness, spans, telemetry, trace_browse


def migration_sets() -> list[Migrations]:
    """Every migration set, in the order they must be applied."""
    return [
        projects.migrations,
        spans.migrations,
        trace_browse.migrations,
        readiness.migrations,
        evals.migrations,
        telemetry.migrations,
    ]

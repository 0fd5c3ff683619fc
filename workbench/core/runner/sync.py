"""A blocking front to the pool for the CLI: run one turn, Ctrl-C cancels it and stops the child."""

from __future__ import annotations

import asyncio
from typing import Any

from workbench.core.projects import Project
from workbench.core.runner.pool import WorkerPool
from workbench.core.runner.protocol import TurnOutcome


async def run_turn_async(
    project: Project,
    request: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    otlp_endpoint: str | None = None,
    echo_stderr: bool = False,
) -> TurnOutcome:
    """Start one child, run one turn in it, stop the child."""
    pool = WorkerPool(
        project,
        size=1,
        env=env,
        turn_timeout=timeout,
        otlp_endpoint=otlp_endpoint,
        echo_stderr=echo_stderr,
    )
    async with pool:
        return await pool.run(request)


def run_turn_sync(
    project: Project,
    request: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    otlp_endpoint: str | None = None,
    echo_stderr: bool = False,
) -> TurnOutcome:
    """``run_turn_async`` for synchronous callers; Ctrl-C raises ``KeyboardInterrupt`` after the
    turn is cancelled and its child stopped."""
    return asyncio.run(
        run_turn_async(
            project,
            request,
            env=env,
            timeout=timeout,
            otlp_endpoint=otlp_endpoint,
            echo_stderr=echo_stderr,
        )
    )

"""Running a project's code in child processes: a pool of workers that survives its faults.

The names below load on first use: the child process (``runner.child``) is inside
this package and imports only its protocol, so the project's own imports, the
critical path of every start, do not wait for the workbench's settings and config models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.core.runner.env import child_env
    from workbench.core.runner.pool import WorkerPool
    from workbench.core.runner.protocol import ErrorKind, TurnOutcome
    from workbench.core.runner.sync import run_turn_async, run_turn_sync
    from workbench.core.runner.worker import WorkerStartError

_HOMES = {
    "ErrorKind": "protocol",
    "TurnOutcome": "protocol",
    "WorkerPool": "pool",
    "WorkerStartError": "worker",
    "child_env": "env",
    "run_turn_async": "sync",
    "run_turn_sync": "sync",
}

__all__ = [
    "ErrorKind",
    "TurnOutcome",
    "WorkerPool",
    "WorkerStartError",
    "child_env",
    "run_turn_async",
    "run_turn_sync",
]


def __getattr__(name: str) -> Any:
    """Import the module defining ``name`` when it is first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)

"""Running a project's code in child processes: a pool of workers that survives its faults."""

from workbench.core.runner.env import child_env
from workbench.core.runner.pool import WorkerPool
from workbench.core.runner.protocol import ErrorKind, TurnOutcome
from workbench.core.runner.sync import run_turn_async, run_turn_sync
from workbench.core.runner.worker import WorkerStartError

__all__ = [
    "ErrorKind",
    "TurnOutcome",
    "WorkerPool",
    "WorkerStartError",
    "child_env",
    "run_turn_async",
    "run_turn_sync",
]

"""Eval run ids: sortable by start time, and never repeated within a process."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

_issued: set[str] = set()


def new_run_id() -> str:
    """A sortable, unique run id such as ``20261121-080512-3fa2``.

    Never one this process issued before: runs started within the same second (shards, a
    merge) would otherwise meet a repeated suffix about once in 65,536 pairs, and the second
    run's row would replace the first's.
    """
    while True:
        run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        if run_id not in _issued:
            _issued.add(run_id)
            return run_id
